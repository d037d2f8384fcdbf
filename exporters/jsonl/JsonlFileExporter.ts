import { diag } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { serializeRecord, type SerializedLine } from '../../core/line.js';
import { JsonlFileWriter } from './writer.js';
import type { SyncLogRecordExporter, SyncExportOptions } from '../../processors/batch/SyncLogRecordExporter.js';

export interface JsonlFileExporterOptions {
  /** Data directory; files are `{dir}/{scenario}.jsonl`. */
  dir: string;
  /** Scenario for records that carry no `product_telemetry.scenario` attribute (or the older `telemetry.scenario`). */
  defaultScenario?: string;
  /** Called with each batch of lines after they are in the files (used by the collector's summaries). */
  onWritten?: (lines: readonly SerializedLine[]) => void;
}

/**
 * An OTel `LogRecordExporter` that appends each record as one JSONL line to `{dir}/{scenario}.jsonl`.
 * It also exports synchronously (`exportSync`), which the batch processor uses so that a full buffer goes to disk at
 * once instead of growing, and so crash records are on disk (fsync'ed) before the process dies.
 * A record whose scenario is unsafe or that cannot be serialised is skipped with a diag error; the rest are written.
 */
export class JsonlFileExporter implements LogRecordExporter, SyncLogRecordExporter {
  readonly writer: JsonlFileWriter;
  private readonly defaultScenario: string | undefined;
  private readonly onWritten: ((lines: readonly SerializedLine[]) => void) | undefined;
  private shutdownDone = false;
  /** Records skipped because they could not become a valid line. */
  rejected = 0;

  constructor(options: JsonlFileExporterOptions) {
    this.writer = new JsonlFileWriter(options.dir);
    this.defaultScenario = options.defaultScenario;
    this.onWritten = options.onWritten;
  }

  export(logs: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    resultCallback(this.exportSync(logs));
  }

  exportSync(logs: readonly ReadableLogRecord[], options?: SyncExportOptions): ExportResult {
    if (this.shutdownDone) return { code: ExportResultCode.FAILED, error: new Error('JsonlFileExporter is shut down') };
    // Group by scenario, keeping order within a scenario; the usual batch has one scenario, so no map is needed.
    let firstScenario: string | undefined;
    let firstText = '';
    let others: Map<string, string> | undefined;
    const written: SerializedLine[] | undefined = this.onWritten ? [] : undefined;
    for (const record of logs) {
      let s: SerializedLine;
      try {
        s = serializeRecord(record, this.defaultScenario);
      } catch (err) {
        this.rejected++;
        diag.error(`otel-product-telemetry: JSONL exporter skipped a record: ${(err as Error).message}`);
        continue;
      }
      written?.push(s);
      if (firstScenario === undefined || firstScenario === s.scenario) {
        firstScenario = s.scenario;
        firstText += s.line;
      } else {
        others ??= new Map();
        others.set(s.scenario, (others.get(s.scenario) ?? '') + s.line);
      }
    }
    try {
      const fsync = options?.fsync === true;
      if (firstScenario !== undefined) this.writer.append(firstScenario, firstText, fsync);
      if (others) for (const [scenario, text] of others) this.writer.append(scenario, text, fsync);
    } catch (err) {
      diag.error(`otel-product-telemetry: ${(err as Error).message}`);
      return { code: ExportResultCode.FAILED, error: err as Error };
    }
    if (written && written.length > 0) {
      try {
        this.onWritten!(written);
      } catch (err) {
        diag.error(`otel-product-telemetry: onWritten hook failed: ${(err as Error).message}`);
      }
    }
    return { code: ExportResultCode.SUCCESS };
  }

  forceFlush(): Promise<void> {
    // Every export is already a completed write(2); nothing is buffered here.
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    if (!this.shutdownDone) {
      this.shutdownDone = true;
      this.writer.syncAll();
      this.writer.close();
    }
    return Promise.resolve();
  }
}
