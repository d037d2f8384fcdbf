/**
 * Zero-code entry: `node --import otel-product-telemetry/register app.js` (or `--require`).
 * Reads only environment variables, installs a LoggerProvider carrying the telemetry pipeline as the global one,
 * and flushes on SIGTERM, SIGINT, `beforeExit` and `process.exit()` without changing the exit code.
 *
 * It does not start a NodeSDK: that would also start OTLP trace/metric exporters from env defaults (network
 * traffic the user did not ask for). Apps that already run a NodeSDK should spread `productTelemetry()` into it.
 */
import { diag } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { productTelemetry } from './pipeline/productTelemetry.js';
import { installExitHooks } from './pipeline/exitHooks.js';

// Crash capture is on by default here (the user opted into zero-code telemetry); TELEMETRY_CAPTURE_CRASHES=false
// turns it off. Nothing is recorded unless telemetry itself is enabled.
const pipeline = productTelemetry(process.env.TELEMETRY_CAPTURE_CRASHES?.trim() ? {} : { captureCrashes: true });
const provider = new LoggerProvider({ processors: pipeline.logRecordProcessors });
if (logs.setGlobalLoggerProvider(provider) !== provider) {
  diag.warn('otel-product-telemetry/register: a global LoggerProvider was already set; telemetry records go through it');
}
installExitHooks({
  // The shutdown usage report first (once), so `process.exit()` and signals get it too, then the synchronous flush.
  flushSync: () => {
    pipeline.finalUsageReport();
    pipeline.flushSync();
  },
  shutdown: () => provider.shutdown(),
  timeoutMs: pipeline.config.shutdownTimeoutMs,
});

export { pipeline, provider };
