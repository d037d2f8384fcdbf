import type { CollectorConfig } from '../../config.js';
import { ClickHouseStore } from './ClickHouseStore.js';

/**
 * The ClickHouse store for `TELEMETRY_STORE=clickhouse`: the collector's own settings (environment, failure events,
 * recent failures, de-duplication window, limits) plus `TELEMETRY_CLICKHOUSE_*` read from `env`. Throws ConfigError
 * naming a bad variable.
 */
export function createClickHouseStore(config: CollectorConfig, env: NodeJS.ProcessEnv = process.env): ClickHouseStore {
  return new ClickHouseStore({
    env,
    environment: config.environment,
    failureEvents: config.failureEvents,
    recentFailures: config.recentFailures,
    dedupWindow: config.dedupWindow,
    maxEventBytes: config.maxEventBytes,
    maxScenarios: config.maxScenarios,
    retentionDays: config.retentionDays,
  });
}
