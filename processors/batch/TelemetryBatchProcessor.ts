import { type Context } from '@opentelemetry/api';
import { diag } from '../../core/diag.js';
import { SeverityNumber } from '../../core/logTypes.js';
import { ExportResultCode, type ExportResult } from '../../core/exportResult.js';
import type { LogRecordExporter, LogRecordProcessor, ReadableLogRecord, SdkLogRecord } from '@opentelemetry/sdk-logs';
import { cachedLine } from '../../core/line.js';
import { isSyncExporter, type SyncLogRecordExporter } from '../../core/SyncLogRecordExporter.js';

export interface TelemetryBatchProcessorOptions {
  exporter: LogRecordExporter;
  /** Records held for an asynchronous exporter; beyond it new records are dropped and counted. Default 2048. */
  maxQueueSize?: number;
  /** Records per export. Default 512. */
  maxExportBatchSize?: number;
  /** Serialised bytes per export (estimated from the cached line). Default and maximum 4 MiB. */
  maxBatchBytes?: number;
  /** Flush interval. Default 1000 ms. */
  scheduledDelayMillis?: number;
  /** Deadline of one asynchronous export. Default 30000 ms. */
  exportTimeoutMillis?: number;
}

const MAX_BATCH_BYTES = 4 * 1024 * 1024;
// Used when a record was not serialised by the policy processor (e.g. this processor used on its own).
const ESTIMATED_LINE_BYTES = 256;

/**
 * Batching with bounded memory, flushed by count, bytes, interval, `forceFlush()` and `shutdown()`.
 *
 * Toward an exporter that can write synchronously (the local JSONL file, the durable queue) a full buffer is written
 * at once, so a tight loop that never yields drops nothing and memory stays flat. Toward an asynchronous exporter
 * the queue is capped: a full queue drops and counts records with a diag warning. Crash records (FATAL) are written
 * and fsync'ed at once. Timers are `unref`'d and exist only while something is buffered.
 */
export class TelemetryBatchProcessor implements LogRecordProcessor {
  readonly exporter: LogRecordExporter;
  /** Records dropped because the queue was full (asynchronous exporters only). */
  dropped = 0;
  /** Records an export reported as failed. */
  failed = 0;
  private readonly sync: SyncLogRecordExporter | undefined;
  private readonly maxQueueSize: number;
  private readonly maxBatch: number;
  private readonly maxBytes: number;
  private readonly delay: number;
  private readonly exportTimeout: number;
  private buffer: ReadableLogRecord[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private shutdownPromise: Promise<void> | undefined;

  constructor(options: TelemetryBatchProcessorOptions) {
    this.exporter = options.exporter;
    this.sync = isSyncExporter(options.exporter) ? options.exporter : undefined;
    this.maxQueueSize = options.maxQueueSize ?? 2048;
    this.maxBatch = Math.max(1, options.maxExportBatchSize ?? 512);
    this.maxBytes = Math.min(options.maxBatchBytes ?? MAX_BATCH_BYTES, MAX_BATCH_BYTES);
    this.delay = options.scheduledDelayMillis ?? 1000;
    this.exportTimeout = options.exportTimeoutMillis ?? 30_000;
  }

  /** Records waiting to be exported. */
  get queued(): number {
    return this.buffer.length;
  }

  onEmit(record: SdkLogRecord, _context?: Context): void {
    if (this.shutdownPromise) return;
    const size = cachedLine(record)?.line.length ?? ESTIMATED_LINE_BYTES;
    if (this.sync) {
      if (this.bytes + size > this.maxBytes && this.buffer.length > 0) this.flushSync();
      this.buffer.push(record);
      this.bytes += size;
      if (record.severityNumber !== undefined && record.severityNumber >= SeverityNumber.FATAL) this.flushSync(true);
      else if (this.buffer.length >= this.maxBatch || this.bytes >= this.maxBytes) this.flushSync();
      else this.arm();
      return;
    }
    if (this.buffer.length >= this.maxQueueSize) {
      this.dropped++;
      // Say so, without flooding: on the first drop and then at every power of two.
      if ((this.dropped & (this.dropped - 1)) === 0) {
        diag.warn(`export queue full (${this.maxQueueSize} records); ${this.dropped} record(s) dropped so far`);
      }
      return;
    }
    this.buffer.push(record);
    this.bytes += size;
    if (this.buffer.length >= this.maxBatch || this.bytes >= this.maxBytes) this.kick();
    else this.arm();
  }

  /**
   * Write everything buffered now, synchronously, when the exporter allows it (used from `process.on('exit')` and
   * signal handlers). Returns false when the exporter is asynchronous and records remain queued.
   */
  flushSync(fsync = false): boolean {
    if (!this.sync) return this.buffer.length === 0;
    this.disarm();
    if (this.buffer.length === 0) return true;
    const batch = this.buffer;
    this.buffer = [];
    this.bytes = 0;
    try {
      const result = this.sync.exportSync(batch, { fsync });
      if (result.code !== ExportResultCode.SUCCESS) this.failed += batch.length;
    } catch (err) {
      this.failed += batch.length;
      diag.error(`export failed: ${(err as Error).message}`);
    }
    return true;
  }

  async forceFlush(): Promise<void> {
    if (this.sync) this.flushSync();
    else {
      while (this.inFlight || this.buffer.length > 0) {
        if (!this.inFlight) this.kick();
        await this.inFlight;
      }
    }
    await this.exporter.forceFlush();
  }

  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      this.disarm();
      try {
        await this.forceFlushAfterShutdownStarted();
      } finally {
        await this.exporter.shutdown();
      }
    })();
    return this.shutdownPromise;
  }

  private async forceFlushAfterShutdownStarted(): Promise<void> {
    // onEmit ignores records once shutdown started; what was buffered before still goes out.
    await this.forceFlush();
  }

  private arm(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.sync) this.flushSync();
      else this.kick();
    }, this.delay);
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** Start an asynchronous export of the next batch unless one is running; chains until the buffer is drained. */
  private kick(): void {
    if (this.inFlight || this.buffer.length === 0) return;
    this.disarm();
    const batch = this.takeBatch();
    this.inFlight = this.exportAsync(batch).finally(() => {
      this.inFlight = undefined;
      if (this.buffer.length >= this.maxBatch || this.bytes >= this.maxBytes) this.kick();
      else if (this.buffer.length > 0) this.arm();
    });
  }

  private takeBatch(): ReadableLogRecord[] {
    let n = 0;
    let bytes = 0;
    while (n < this.buffer.length && n < this.maxBatch) {
      const size = cachedLine(this.buffer[n]!)?.line.length ?? ESTIMATED_LINE_BYTES;
      if (n > 0 && bytes + size > this.maxBytes) break;
      bytes += size;
      n++;
    }
    this.bytes -= bytes;
    return this.buffer.splice(0, n);
  }

  private exportAsync(batch: ReadableLogRecord[]): Promise<void> {
    return new Promise<void>((resolve) => {
      let settled = false;
      const done = (result: ExportResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timeout);
        if (result.code !== ExportResultCode.SUCCESS) {
          this.failed += batch.length;
          diag.error(`export of ${batch.length} record(s) failed: ${result.error?.message ?? 'unknown error'}`);
        }
        resolve();
      };
      const timeout = setTimeout(() => done({ code: ExportResultCode.FAILED, error: new Error(`export timed out after ${this.exportTimeout} ms`) }), this.exportTimeout);
      timeout.unref();
      try {
        this.exporter.export(batch, done);
      } catch (err) {
        done({ code: ExportResultCode.FAILED, error: err as Error });
      }
    });
  }
}
