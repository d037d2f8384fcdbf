export { ConsentProcessor } from './consent/ConsentProcessor.js';
export type { ConsentProcessorOptions } from './consent/ConsentProcessor.js';
export { PolicyProcessor } from './policy/PolicyProcessor.js';
export type { PolicyProcessorOptions, DropReason } from './policy/PolicyProcessor.js';
export { RedactionProcessor, DEFAULT_REDACT_KEYS } from './redaction/RedactionProcessor.js';
export type { RedactionProcessorOptions } from './redaction/RedactionProcessor.js';
export { TelemetryBatchProcessor } from './batch/TelemetryBatchProcessor.js';
export type { TelemetryBatchProcessorOptions } from './batch/TelemetryBatchProcessor.js';
export type { SyncLogRecordExporter, SyncExportOptions } from '../core/SyncLogRecordExporter.js';
