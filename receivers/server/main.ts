/**
 * Runnable collector: `node --import tsx receivers/server/main.ts` (or the built `dist` equivalent). Starts on the
 * embedded defaults (env vars apply), prints its address and data directory, and on SIGTERM/SIGINT stops
 * gracefully — no new connections, in-flight requests finish, the store is flushed — then exits 0.
 */
import { startCollector } from './startCollector.js';
import { installDiagFromEnv } from '../../core/diagFromEnv.js';

async function main(): Promise<void> {
  installDiagFromEnv();
  let collector;
  try {
    collector = await startCollector();
  } catch (err) {
    process.stderr.write(`otel-product-telemetry collector: ${(err as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`otel-product-telemetry collector listening on ${collector.url}\ndata directory: ${collector.dir}\n`);
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    // A second signal while stopping is ignored: the close has its own deadline (TELEMETRY_SHUTDOWN_TIMEOUT_MS).
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: closing the collector\n`);
    collector.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`otel-product-telemetry collector: close failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
