import { diag } from '@opentelemetry/api';

// The OTel API keeps its globals (diag logger, providers) under this symbol, one slot per API major version; `diag`
// is registered there only once a logger has been set (`diag.setLogger`, NodeSDK with OTEL_LOG_LEVEL, ...).
const OTEL_API_GLOBAL = Symbol.for('opentelemetry.js.api.1');
const REPORTED = Symbol.for('otel-product-telemetry.reported');
type Globals = typeof globalThis & { [OTEL_API_GLOBAL]?: { diag?: unknown }; [REPORTED]?: Set<string> };

/** Whether the host has set an OTel diag logger (then our messages go there, where the host looks). */
export function hostDiagLoggerSet(): boolean {
  return (globalThis as Globals)[OTEL_API_GLOBAL]?.diag !== undefined;
}

/**
 * Tell the host about a problem once per process (per `key`), where it will be seen: through its diag logger when
 * it set one, else one line on stderr. For problems inside a host app that must not throw (an invalid environment
 * variable, telemetry recorded with no pipeline): silence would hide them, an exception would hurt the host.
 */
export function reportOnce(key: string, message: string): void {
  const g = globalThis as Globals;
  const seen = (g[REPORTED] ??= new Set());
  if (seen.has(key)) return;
  seen.add(key);
  if (hostDiagLoggerSet()) {
    diag.warn(`otel-product-telemetry: ${message}`);
    return;
  }
  try {
    process.stderr.write(`otel-product-telemetry: ${message}\n`);
  } catch {
    // stderr closed: nothing else to do, and never throw into the host.
  }
}
