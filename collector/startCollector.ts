import { diag } from '../core/diag.js';
import { loadCollectorConfig, type CollectorConfig, type CollectorSettingsOptions } from './config.js';
import { CollectorServer } from './CollectorServer.js';
import { claimDataDir, type DataDirClaim } from './dataDir.js';
import type { CollectorStats, Route } from './router.js';
import { builtinRoutes } from './routes/index.js';
import { createStore } from './stores/index.js';
import { scheduleRetention, type RetentionResult } from './stores/retention.js';
import type { TelemetryStore } from './stores/TelemetryStore.js';

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
 * (including a non-loopback host without TELEMETRY_AUTH_TOKEN) and when the port cannot be bound; with a StoreError
 * naming the dir when a JSONL store's data dir cannot be created or used, or another collector holds it
 * (`{dir}/collector.lock`, released on close or exit; a lock whose process is gone is taken over); with the store's
 * error when it cannot be opened (ClickHouse down after its retry deadline).
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
  // A JSONL store's dir must be usable, and is this collector's alone (collector.lock): a second writer's lines
  // would be missing from this one's summaries and de-duplication.
  const storeDir = store.kind === 'jsonl' ? ((store as { dir?: unknown }).dir ?? config.dir) : undefined;
  let claim: DataDirClaim | undefined;
  if (typeof storeDir === 'string') claim = claimDataDir(storeDir);
  // Nothing else holds the process open while the store opens (ClickHouse retries wait on unref'd timers): without
  // this, `serve` against a ClickHouse that is down would end with exit code 0 and no word instead of the cause.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  let server: CollectorServer;
  let address;
  try {
    await store.open();
    server = new CollectorServer(config, store, [...builtinRoutes, ...routes]);
    try {
      address = await server.listen();
    } catch (err) {
      await store.close();
      throw err;
    }
  } catch (err) {
    claim?.release();
    throw err;
  } finally {
    clearInterval(keepAlive);
  }
  // Retention by age, off the request path: JSONL deletes whole expired files (the ClickHouse store sets a table TTL).
  const expire = (store as { expire?: (cutoffMs: number) => Promise<RetentionResult> }).expire;
  const retention = config.retentionDays > 0 && typeof expire === 'function' ? scheduleRetention(config.retentionDays, (cutoff) => expire.call(store, cutoff)) : undefined;
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
          await retention?.stop();
          await server.close(config.shutdownTimeoutMs);
        } finally {
          try {
            await store.close();
          } catch (err) {
            diag.error(`closing the collector store failed: ${(err as Error).message}`);
          }
          claim?.release();
        }
      })();
      return closing;
    },
  };
}
