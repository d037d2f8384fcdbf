// The ClickHouse exporter and the pieces the collector's ClickHouse store shares with it.
export { ClickHouseLogExporter } from './ClickHouseLogExporter.js';
export type { ClickHouseLogExporterOptions } from './ClickHouseLogExporter.js';
export { clickhouseSettings, loadClickHouseConfig, toClickHouseConfig, IDENTIFIER_PATTERN } from './config.js';
export type { ClickHouseConfig, ClickHouseOptions } from './config.js';
export { ClickHouseHttp } from './ClickHouseHttp.js';
export type { ExternalTable, RequestOptions } from './ClickHouseHttp.js';
export { RowWriter } from './RowWriter.js';
export { EVENT_COLUMNS, schemaSql, clusterSchemaSql, ensureSchema, qualifiedName } from './schema.js';
export type { TableName } from './schema.js';
export { encodeRow, encodeRows, rowFromLine, lineFromRow, detailsText, isoFromMs, rowKey } from './rows.js';
export type { EventRow, StoredRow } from './rows.js';
export { SequenceClock } from './sequence.js';
export { withRetry } from './retry.js';
export type { RetryPolicy, Attempt } from './retry.js';
