import { diag, DiagConsoleLogger, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { diagLogLevelFromString } from '@opentelemetry/core';
import { printableMessage } from './sanitize.js';

/**
 * For programs we own (the collector, the CLI) and the zero-code register entry (with `fallback` NONE, only when the
 * host set no logger): show OTel diag output on the console at `OTEL_LOG_LEVEL` (none|error|warn|info|debug|
 * verbose|all), default `fallback` (`warn`), so store failures and dropped data are visible. Library code called
 * from an app's own code never calls this: a host app decides where its diag output goes. Messages may quote what clients sent
 * (paths, file names): control and bidi characters are shown as escapes, not obeyed by the terminal.
 */
export function installDiagFromEnv(env: NodeJS.ProcessEnv = process.env, fallback: DiagLogLevel = DiagLogLevel.WARN): void {
  const raw = env.OTEL_LOG_LEVEL?.trim();
  const level = raw ? (diagLogLevelFromString(raw) ?? fallback) : fallback;
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
