// The collector server: public exports (named only; internal helpers stay in their files).
export { startCollector } from './startCollector.js';
export type { Collector, StartCollectorOptions } from './startCollector.js';
export { collectorSettings, loadCollectorConfig, isLoopbackHost } from './config.js';
export type { CollectorConfig, CollectorSettingsOptions } from './config.js';
export { RouteTable } from './router.js';
export type { Route, RouteContext, CollectorContext, CollectorStats, HttpMethod } from './router.js';
export { builtinRoutes } from './routes/index.js';
export { readBody, contentEncodingOf } from './http/body.js';
export { sendJson, sendError } from './http/respond.js';
export { mapLogsRequest } from './otlp/mapLogs.js';
export { otlpRoot } from './otlp/protobuf.js';
export {
  createStore,
  JsonlStore,
  ClickHouseStore,
  clickhouseStoreSettings,
  loadClickHouseStoreConfig,
  SummaryBook,
  DedupWindow,
  buildSummaries,
  scanStoreDir,
  listScenarioFiles,
  readJsonl,
  readJsonlBatches,
  forEachJsonlLine,
  parseStoredLine,
} from './stores/index.js';
export type {
  TelemetryStore,
  StoreEvent,
  AppendResult,
  StoreRejection,
  ScenarioSummary,
  RecentFailure,
  StoreQuery,
  JsonlStoreOptions,
  ClickHouseStoreOptions,
  ClickHouseStoreConfig,
  SummaryOptions,
  ScanOptions,
  ScenarioFile,
  JsonlReadOptions,
  JsonlLineHandler,
  StoredLine,
} from './stores/index.js';
export type { StoreReadiness } from './stores/TelemetryStore.js';
