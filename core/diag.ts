import { diag as otelDiag } from '@opentelemetry/api';

/** What every message of this package starts with, wherever it goes (the host's diag logger, stderr, the console). */
export const MESSAGE_PREFIX = 'otel-product-telemetry: ';

/**
 * The one way this package writes diagnostics: OTel's `diag` (the host's logger when it set one, else nothing), each
 * message with `MESSAGE_PREFIX`. Callers pass the message alone; test/diag.test.ts checks that no other module writes
 * to `diag` from `@opentelemetry/api` or spells the prefix.
 */
export const diag = {
  error: (message: string): void => otelDiag.error(MESSAGE_PREFIX + message),
  warn: (message: string): void => otelDiag.warn(MESSAGE_PREFIX + message),
  info: (message: string): void => otelDiag.info(MESSAGE_PREFIX + message),
  debug: (message: string): void => otelDiag.debug(MESSAGE_PREFIX + message),
  verbose: (message: string): void => otelDiag.verbose(MESSAGE_PREFIX + message),
};
