// The collector's ClickHouse store (TELEMETRY_STORE=clickhouse).
export { ClickHouseStore } from './ClickHouseStore.js';
export type { ClickHouseStoreOptions } from './ClickHouseStore.js';
export { clickhouseStoreSettings, loadClickHouseStoreConfig } from './config.js';
export type { ClickHouseStoreConfig, ClickHouseStoreSettingsOptions } from './config.js';
export { createClickHouseStore } from './fromCollectorConfig.js';
