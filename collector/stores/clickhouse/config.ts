import { clickhouseSettings, toClickHouseConfig, type ClickHouseConfig } from '../../../exporters/clickhouse/config.js';
import { booleanSetting, resolveSettings, type SettingsOptions } from '../../../core/settings.js';

/**
 * Settings of the collector's ClickHouse store (`TELEMETRY_STORE=clickhouse`): the connection settings it shares
 * with the ClickHouse exporter, plus the insert-time de-duplication check. The collector's own settings (failure
 * events, recent failures, de-duplication window, limits) apply as for the JSONL store. Precedence: code option >
 * environment variable > default. The README's "ClickHouse store" section lists them.
 */
export const clickhouseStoreSettings = {
  ...clickhouseSettings,
  dedupCheck: booleanSetting(
    'TELEMETRY_CLICKHOUSE_DEDUP_CHECK',
    true,
    'Before inserting events that carry a client id, look up which are stored already (one indexed query per group of uploads, started as they arrive), so a retried upload is never stored twice however old. Off: only the in-memory window (`TELEMETRY_DEDUP_WINDOW`) is checked; ReplacingMergeTree merges and exact reads still hide duplicates.',
  ),
} as const;

export type ClickHouseStoreSettingsOptions = SettingsOptions<typeof clickhouseStoreSettings>;

export interface ClickHouseStoreConfig extends ClickHouseConfig {
  readonly dedupCheck: boolean;
}

/** Resolve once (options > env > defaults); throws ConfigError naming each bad variable. */
export function loadClickHouseStoreConfig(options: ClickHouseStoreSettingsOptions = {}, env: NodeJS.ProcessEnv = process.env): ClickHouseStoreConfig {
  const { dedupCheck, ...rest } = resolveSettings(clickhouseStoreSettings, options as Record<string, unknown>, env);
  return Object.freeze({ ...toClickHouseConfig(rest), dedupCheck });
}
