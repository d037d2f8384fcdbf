import type { ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';

export interface SyncExportOptions {
  /** fsync after writing (crash records: the process may be gone a moment later). */
  fsync?: boolean;
}

/**
 * An exporter that can also complete an export synchronously (a local file). The batch processor then writes a
 * full buffer at once instead of queueing it (bounded memory without drops) and can flush inside `process.on('exit')`.
 */
export interface SyncLogRecordExporter extends LogRecordExporter {
  exportSync(logs: readonly ReadableLogRecord[], options?: SyncExportOptions): ExportResult;
}

export function isSyncExporter(exporter: LogRecordExporter): exporter is SyncLogRecordExporter {
  return typeof (exporter as Partial<SyncLogRecordExporter>).exportSync === 'function';
}
