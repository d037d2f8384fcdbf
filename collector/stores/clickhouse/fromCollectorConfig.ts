import type { CollectorConfig } from '../../config.js';
import { storeRuleOptions } from '../ruleOptions.js';
import { ClickHouseStore } from './ClickHouseStore.js';

/**
 * The ClickHouse store for `TELEMETRY_STORE=clickhouse`: the collector's own settings (environment, failure events,
 * recent failures, de-duplication window, limits) plus `TELEMETRY_CLICKHOUSE_*` read from `env`. Throws ConfigError
 * naming a bad variable.
 */
export function createClickHouseStore(config: CollectorConfig, env: NodeJS.ProcessEnv = process.env): ClickHouseStore {
  return new ClickHouseStore({ env, ...storeRuleOptions(config), retentionDays: config.retentionDays });
}
