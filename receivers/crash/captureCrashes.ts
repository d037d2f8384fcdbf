import { diag } from '../../core/diag.js';
import { telemetry as defaultTelemetry } from '../api/telemetry.js';
import type { TelemetryInstance } from '../api/TelemetryInstance.js';

export interface CaptureCrashesOptions {
  /** Instance to record through (default: the global `telemetry`). */
  instance?: TelemetryInstance;
}

/**
 * Record uncaught exceptions and unhandled rejections as crash events without changing how the process crashes.
 *
 * It listens on `uncaughtExceptionMonitor`, which Node calls before its default handling (and before any
 * `uncaughtException` handler) for both uncaught exceptions and — under the default `--unhandled-rejections=throw` —
 * unhandled rejections. A monitor cannot swallow the error, so the exit code, stderr output and other handlers stay
 * exactly as they were; no `unhandledRejection` listener is installed (that would disable Node's default).
 * The crash record is written and fsync'ed synchronously by the pipeline's batch processor (FATAL records are
 * flushed at once), so it is on disk before the process dies. Returns a function that removes the listener.
 */
export function captureCrashes(options: CaptureCrashesOptions = {}): () => void {
  const instance = options.instance ?? defaultTelemetry;
  const seen = new WeakSet<object>();
  const monitor = (err: unknown, origin: string): void => {
    try {
      if (err !== null && typeof err === 'object') {
        if (seen.has(err)) return;
        seen.add(err);
      }
      const error = err instanceof Error ? err : new Error(`non-error thrown: ${safeString(err)}`);
      // appcd keeps crash data free-form; the origin tells an uncaught exception from an unhandled rejection.
      const payload: { message: string; stack?: string; type: string; origin: string } = { message: error.message || error.name, type: error.name, origin };
      if (error.stack) payload.stack = error.stack;
      void instance.crash(payload);
    } catch (recordErr) {
      diag.error(`could not record a crash: ${(recordErr as Error).message}`);
    }
  };
  process.on('uncaughtExceptionMonitor', monitor);
  return () => {
    process.removeListener('uncaughtExceptionMonitor', monitor);
  };
}

function safeString(v: unknown): string {
  try {
    return typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}
