import { diag, MESSAGE_PREFIX } from './diag.js';
import { readSlot, sharedSlot } from './globalSlots.js';

/**
 * Whether the host has set an OTel diag logger (then our messages go there, where the host looks). The OTel API keeps
 * its globals (diag logger, providers) in one slot per API major version; `diag` is registered there only once a
 * logger has been set (`diag.setLogger`, NodeSDK with OTEL_LOG_LEVEL, ...).
 */
export function hostDiagLoggerSet(): boolean {
  return readSlot<{ diag?: unknown }>('otelApi')?.diag !== undefined;
}

/**
 * Tell the host about a problem once per process (per `key`), where it will be seen: through its diag logger when
 * it set one, else one line on stderr. For problems inside a host app that must not throw (an invalid environment
 * variable, telemetry recorded with no pipeline): silence would hide them, an exception would hurt the host.
 */
export function reportOnce(key: string, message: string): void {
  const seen = sharedSlot('reported', () => new Set<string>());
  if (seen.has(key)) return;
  seen.add(key);
  if (hostDiagLoggerSet()) {
    diag.warn(`${message}`);
    return;
  }
  try {
    process.stderr.write(`${MESSAGE_PREFIX}${message}\n`);
  } catch {
    // stderr closed: nothing else to do, and never throw into the host.
  }
}
