import { CommanderError } from './commander.js';
import { ConfigError, TelemetryError } from '../core/errors.js';
import { createContext } from './context.js';
import { InterruptedError, UsageError } from './errors.js';
import { buildProgram } from './program.js';
import { printableMessage } from '../core/sanitize.js';

const EXIT_OK = 0;
const EXIT_RUNTIME = 1;
const EXIT_USAGE = 2;
const EXIT_INTERRUPTED = 130;

export interface RunIO {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
}

/**
 * Run the CLI and return its exit code: 0 success, 1 runtime error, 2 usage or configuration error (unknown
 * command or flag, bad value, conflicting options, invalid environment variable), 130 when a one-shot command was
 * interrupted (long-running ones — serve, logs --follow — stop cleanly with 0).
 */
export async function runCli(argv: string[], io: RunIO): Promise<number> {
  const ctx = createContext(io);
  const program = buildProgram(ctx, argv);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version were printed on request; anything else was reported by commander already.
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? EXIT_OK : EXIT_USAGE;
    }
    if (err instanceof InterruptedError) return EXIT_INTERRUPTED;
    // Messages quote outside input (a collector's or endpoint's answer, file names): shown, never obeyed.
    const message = printableMessage(err instanceof Error ? err.message : String(err));
    if (err instanceof UsageError || err instanceof ConfigError) {
      io.stderr.write(ctx.paintErr('red', `error: ${message}`) + '\n(see --help)\n');
      return EXIT_USAGE;
    }
    io.stderr.write(ctx.paintErr('red', `error: ${message}`) + '\n');
    // Coded errors (the CLI's, the query engine's, the core's) are expected failures: their message says it all.
    if (!(err instanceof TelemetryError) && io.env.OPT_DEBUG && err instanceof Error && err.stack) io.stderr.write(err.stack + '\n');
    return EXIT_RUNTIME;
  }
}
