import { diag } from '@opentelemetry/api';
import { loadCollectorConfig, type CollectorConfig, type CollectorSettingsOptions } from './config.js';
import { CollectorServer } from './CollectorServer.js';
import type { CollectorStats, Route } from './router.js';
import { builtinRoutes } from './routes/index.js';
import { createStore } from './store/index.js';
import type { TelemetryStore } from './store/TelemetryStore.js';

export interface StartCollectorOptions extends CollectorSettingsOptions {
  /** Environment to read settings from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** More routes, served beside the built-in ones. */
  routes?: readonly Route[];
  /** Use this store instead of the one `TELEMETRY_STORE` names (it is opened and closed by the collector). */
  customStore?: TelemetryStore;
}

export interface Collector {
  /** `http://host:port` */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** Data directory. */
  readonly dir: string;
  readonly config: CollectorConfig;
  readonly store: TelemetryStore;
  readonly stats: Readonly<CollectorStats>;
  /**
   * Graceful stop: stop accepting, let in-flight requests finish (cut after TELEMETRY_SHUTDOWN_TIMEOUT_MS), then
   * flush and close the store. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Start the collector server: resolve settings (options > env > defaults), open the store (rebuilding summaries and
 * the de-duplication window from the files), listen. Rejects with a ConfigError naming the variable for bad settings
 * (including a non-loopback host without TELEMETRY_AUTH_TOKEN) and when the port cannot be bound.
 *
 * @example
 * const collector = await startCollector({ port: 0, dir: '/var/lib/telemetry' });
 * console.log(collector.url); // http://127.0.0.1:38211
 * await collector.close();
 */
export async function startCollector(options: StartCollectorOptions = {}): Promise<Collector> {
  const { env, routes = [], customStore, ...settings } = options;
  const config = loadCollectorConfig(settings, env ?? process.env);
  const store = customStore ?? createStore(config, env ?? process.env);
  await store.open();
  const server = new CollectorServer(config, store, [...builtinRoutes, ...routes]);
  let address;
  try {
    address = await server.listen();
  } catch (err) {
    await store.close();
    throw err;
  }
  const host = address.address;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    host,
    dir: config.dir,
    config,
    store,
    stats: server.context.stats,
    close() {
      closing ??= (async () => {
        try {
          await server.close(config.shutdownTimeoutMs);
        } finally {
          try {
            await store.close();
          } catch (err) {
            diag.error(`otel-product-telemetry: closing the collector store failed: ${(err as Error).message}`);
          }
        }
      })();
      return closing;
    },
  };
}
