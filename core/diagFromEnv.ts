import { diag, DiagConsoleLogger, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { printableMessage } from './sanitize.js';

const LEVELS: Readonly<Record<string, DiagLogLevel>> = {
  ALL: DiagLogLevel.ALL,
  VERBOSE: DiagLogLevel.VERBOSE,
  DEBUG: DiagLogLevel.DEBUG,
  INFO: DiagLogLevel.INFO,
  WARN: DiagLogLevel.WARN,
  ERROR: DiagLogLevel.ERROR,
  NONE: DiagLogLevel.NONE,
};

/**
 * `OTEL_LOG_LEVEL` read as `diagLogLevelFromString` of `@opentelemetry/core` reads it (any case; an unknown name is
 * INFO, with a warning), written here because register runs this in every host app and that package's import cost
 * was not worth one lookup table (bench/import.mjs).
 */
export function diagLevelFromString(value: string): DiagLogLevel {
  const level = LEVELS[value.toUpperCase()];
  if (level !== undefined) return level;
  diag.warn(`Unknown log level "${value}", expected one of ${Object.keys(LEVELS).join(',')}, using default`);
  return DiagLogLevel.INFO;
}

/**
 * For programs we own (the collector, the CLI) and the zero-code register entry (with `fallback` NONE, only when the
 * host set no logger): show OTel diag output on the console at `OTEL_LOG_LEVEL` (none|error|warn|info|debug|
 * verbose|all), default `fallback` (`warn`), so store failures and dropped data are visible. Library code called
 * from an app's own code never calls this: a host app decides where its diag output goes. Messages may quote what clients sent
 * (paths, file names): control and bidi characters are shown as escapes, not obeyed by the terminal.
 */
export function installDiagFromEnv(env: NodeJS.ProcessEnv = process.env, fallback: DiagLogLevel = DiagLogLevel.WARN): void {
  const raw = env.OTEL_LOG_LEVEL?.trim();
  const level = raw ? diagLevelFromString(raw) : fallback;
  if (level === DiagLogLevel.NONE) return;
  const sink = new DiagConsoleLogger();
  const clean =
    (write: (message: string, ...args: unknown[]) => void) =>
    (message: string, ...args: unknown[]): void =>
      write(printableMessage(message), ...args.map((a) => (typeof a === 'string' ? printableMessage(a) : a)));
  const logger: DiagLogger = {
    error: clean(sink.error),
    warn: clean(sink.warn),
    info: clean(sink.info),
    debug: clean(sink.debug),
    verbose: clean(sink.verbose),
  };
  diag.setLogger(logger, { logLevel: level, suppressOverrideMessage: true });
}
