import { createRequire } from 'node:module';
import type * as CommanderTypes from 'commander';

// commander is CommonJS. Imported from ESM, Node first parses its source for export names (cjs-module-lexer);
// required, it is just loaded: ~10 ms less on every command's start-up (the `logs` benchmark counts start-up).
const commander = createRequire(import.meta.url)('commander') as typeof CommanderTypes;

export const { Command, Option, CommanderError, InvalidArgumentError } = commander;
export type Command = CommanderTypes.Command;
export type Option = CommanderTypes.Option;
export type CommanderError = CommanderTypes.CommanderError;
