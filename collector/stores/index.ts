import type { CollectorConfig } from '../config.js';
import { createClickHouseStore } from './clickhouse/fromCollectorConfig.js';
import { JsonlStore } from './JsonlStore.js';
import { storeRuleOptions } from './ruleOptions.js';
import type { TelemetryStore } from './TelemetryStore.js';

/** The store `TELEMETRY_STORE` names, configured from the collector's settings (issue 8 adds `clickhouse` here). */
export function createStore(config: CollectorConfig, env: NodeJS.ProcessEnv = process.env): TelemetryStore {
  switch (config.store) {
    case 'jsonl':
      return new JsonlStore({
        dir: config.dir,
        ...storeRuleOptions(config),
        maxOpenFiles: config.maxOpenFiles,
        insightsKeys: config.insightsKeys,
        insightsScanBytes: config.insightsScanBytes,
        insightsMaxBytes: config.insightsMaxMb * 1024 * 1024,
      });
    case 'clickhouse':
      // TELEMETRY_CLICKHOUSE_* come from `env` (startCollector's), or pass `customStore: new ClickHouseStore({...})`.
      return createClickHouseStore(config, env);
  }
}

export { JsonlStore } from './JsonlStore.js';
export { ClickHouseStore, clickhouseStoreSettings, loadClickHouseStoreConfig } from './clickhouse/index.js';
export type { ClickHouseStoreOptions, ClickHouseStoreConfig } from './clickhouse/index.js';
export type { JsonlStoreOptions } from './JsonlStore.js';
export { SummaryBook, isoFromMillis } from './SummaryBook.js';
export type { SummaryOptions } from './SummaryBook.js';
export { DedupWindow } from './DedupWindow.js';
export { buildSummaries, scanStoreDir, listScenarioFiles } from './scan.js';
export type { ScanOptions, ScenarioFile } from './scan.js';
export { readJsonl, readJsonlBatches, forEachJsonlLine, parseStoredLine } from './readJsonl.js';
export type { JsonlReadOptions, JsonlLineHandler, StoredLine } from './readJsonl.js';
export type { TelemetryStore, StoreEvent, AppendResult, StoreRejection, ScenarioSummary, RecentFailure, StoreQuery } from './TelemetryStore.js';
