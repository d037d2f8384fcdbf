import { diag, DiagConsoleLogger, DiagLogLevel } from '@opentelemetry/api';
import { diagLogLevelFromString } from '@opentelemetry/core';

/**
 * For programs we own (the collector, the CLI): show OTel diag output on the console at `OTEL_LOG_LEVEL`
 * (none|error|warn|info|debug|verbose|all), default `warn`, so store failures and dropped data are visible.
 * Libraries never call this: a host app decides where its diag output goes.
 */
export function installDiagFromEnv(env: NodeJS.ProcessEnv = process.env, fallback: DiagLogLevel = DiagLogLevel.WARN): void {
  const raw = env.OTEL_LOG_LEVEL?.trim();
  const level = raw ? (diagLogLevelFromString(raw) ?? fallback) : fallback;
  if (level === DiagLogLevel.NONE) return;
  diag.setLogger(new DiagConsoleLogger(), { logLevel: level, suppressOverrideMessage: true });
}
