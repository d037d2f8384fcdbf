import { printableMessage } from '../core/sanitize.js';
import { colorEnabled, painter, type Painter } from './style.js';

/** What commands get instead of reaching for globals (so the program can be driven in-process as well). */
export interface CliContext {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM: long-running commands (serve, logs --follow) finish cleanly and exit 0. */
  signal: AbortSignal;
  paint: Painter;
  paintErr: Painter;
  /** A warning line on stderr. */
  warn(message: string): void;
}

export function createContext(io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream; env: NodeJS.ProcessEnv; signal: AbortSignal }): CliContext {
  const paintErr = painter(colorEnabled(io.stderr, io.env));
  return {
    ...io,
    paint: painter(colorEnabled(io.stdout, io.env)),
    paintErr,
    warn: (message) => void io.stderr.write(`${paintErr('yellow', 'warning:')} ${printableMessage(message)}\n`),
  };
}
