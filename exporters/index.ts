export { JsonlFileExporter } from './jsonl/JsonlFileExporter.js';
export type { JsonlFileExporterOptions } from './jsonl/JsonlFileExporter.js';
export { JsonlFileWriter } from './jsonl/writer.js';
export {
  UploadExporter,
  Uploader,
  UploadingStoreExporter,
  createStoreUpload,
  uploadSettings,
  loadUploadConfig,
  readUploadState,
  readManifest,
  StoreBudget,
  MAX_UPLOAD_BYTES,
  UPLOAD_STATE_FILE,
  QUARANTINE_DIR,
  CURSOR_FILE,
} from './upload/index.js';
// Straight from its module, not through upload/index.ts: the main entry imports that index, and its bundle must not
// reach zod (host apps' import cost, bench/import.mjs).
export { bundleManifestSchema } from './upload/manifestSchema.js';
export type { UploadExporterOptions, UploaderOptions, UploadStatus, UploadConfig, UploadOptions, UploadState, StoreUploadInputs, BundleManifestTelemetry, ResolvedManifest } from './upload/index.js';
export { ClickHouseLogExporter, clickhouseSettings, loadClickHouseConfig, schemaSql, clusterSchemaSql } from './clickhouse/index.js';
export type { ClickHouseLogExporterOptions, ClickHouseConfig, ClickHouseOptions } from './clickhouse/index.js';
