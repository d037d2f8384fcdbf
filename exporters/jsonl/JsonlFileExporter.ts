import { diag } from '../../core/diag.js';
import { ExportResultCode, type ExportResult } from '../../core/exportResult.js';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { serializeRecord, type SerializedLine } from '../../core/line.js';
import { JsonlFileWriter } from './writer.js';
import type { SyncLogRecordExporter, SyncExportOptions } from '../../core/SyncLogRecordExporter.js';

export interface JsonlFileExporterOptions {
  /** Data directory; files are `{dir}/{scenario}.jsonl`. */
  dir: string;
  /** Scenario for records that carry no `product_telemetry.scenario` attribute (or the older `telemetry.scenario`). */
  defaultScenario?: string;
  /**
   * Called with each batch of lines after they are in the files (used by the collector's summaries and
   * de-duplication), in record order. When writing one scenario's file fails after others were written, it is still
   * called, with the lines that are in the files, before the export reports the failure.
   */
  onWritten?: (lines: readonly SerializedLine[]) => void;
  /**
   * The file a record's scenario is written to (default: its own). The collector maps scenarios differing only by
   * case to the first spelling stored, so they never become two files that collide on a case-insensitive file system.
   */
  fileScenario?: (scenario: string) => string;
  /** Most store files held open at once (default 128; least-recently-used closed first). */
  maxOpenFiles?: number;
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
  private readonly fileScenario: ((scenario: string) => string) | undefined;
  private shutdownDone = false;
  /** Records skipped because they could not become a valid line. */
  rejected = 0;

  constructor(options: JsonlFileExporterOptions) {
    this.writer = new JsonlFileWriter(options.dir, { maxOpenFiles: options.maxOpenFiles });
    this.defaultScenario = options.defaultScenario;
    this.onWritten = options.onWritten;
    this.fileScenario = options.fileScenario;
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
        diag.error(`JSONL exporter skipped a record: ${(err as Error).message}`);
        continue;
      }
      written?.push(s);
      const file = this.fileScenario === undefined ? s.scenario : this.fileScenario(s.scenario);
      if (firstScenario === undefined || firstScenario === file) {
        firstScenario = file;
        firstText += s.line;
      } else {
        others ??= new Map();
        others.set(file, (others.get(file) ?? '') + s.line);
      }
    }
    // All or nothing where it can be: every target file is opened and checked before the first line is written, so
    // an unwritable file (not a regular file, a planted symlink, a permission) fails the batch with nothing written.
    // One write(2) per scenario follows; should one still fail (ENOSPC, EIO), the scenarios already written are
    // reported to onWritten before the failure, so their lines are counted (and de-duplicated on a retry).
    let done: Set<string> | undefined;
    try {
      const fsync = options?.fsync === true;
      if (others) this.writer.prepare([firstScenario!, ...others.keys()]);
      if (firstScenario !== undefined) this.writer.append(firstScenario, firstText, fsync);
      if (others) {
        done = new Set([firstScenario!]);
        for (const [scenario, text] of others) {
          this.writer.append(scenario, text, fsync);
          done.add(scenario);
        }
      }
    } catch (err) {
      diag.error(`${(err as Error).message}`);
      if (written && done !== undefined) this.report(written.filter((s) => done!.has(this.fileScenario === undefined ? s.scenario : this.fileScenario(s.scenario))));
      return { code: ExportResultCode.FAILED, error: err as Error };
    }
    if (written) this.report(written);
    return { code: ExportResultCode.SUCCESS };
  }

  private report(written: readonly SerializedLine[]): void {
    if (written.length === 0) return;
    try {
      this.onWritten!(written);
    } catch (err) {
      diag.error(`onWritten hook failed: ${(err as Error).message}`);
    }
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
