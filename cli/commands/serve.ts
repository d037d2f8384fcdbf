import { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';

export function serveCommand(_ctx: CliContext): Command {
  return new Command('serve')
    .description('Start the collector server')
    .action(() => {
      throw new CliError('not available yet');
    });
}
