/**
 * Zero-code entry: `node --import otel-product-telemetry/register app.js` (or `--require`).
 * Reads only environment variables and sets up the telemetry pipeline with its own LoggerProvider, which flushes on
 * SIGTERM, SIGINT, `beforeExit` and `process.exit()` without changing the exit code.
 *
 * It registers nothing global with OpenTelemetry: no LoggerProvider (a NodeSDK the app starts later keeps its own),
 * and no NodeSDK (that would also start OTLP trace/metric exporters from env defaults: network traffic the user did
 * not ask for). `OTEL_LOG_LEVEL` is honoured when the host has not set a diag logger, so upload failures can be
 * seen at `info`/`debug`.
 */
import { DiagLogLevel } from '@opentelemetry/api';
import { installDiagFromEnv } from './core/diagFromEnv.js';
import { hostDiagLoggerSet } from './core/report.js';
import { productTelemetry } from './pipeline/productTelemetry.js';

// Only when OTEL_LOG_LEVEL names a level (fallback NONE) and the host has no diag logger of its own.
if (!hostDiagLoggerSet()) installDiagFromEnv(process.env, DiagLogLevel.NONE);

// Crash capture is on by default here (the user opted into zero-code telemetry); TELEMETRY_CAPTURE_CRASHES=false
// turns it off. Nothing is recorded unless telemetry itself is enabled. Exit hooks are the pipeline's default.
const pipeline = productTelemetry(process.env.TELEMETRY_CAPTURE_CRASHES?.trim() ? {} : { captureCrashes: true });

export { pipeline };
