import { diag, ROOT_CONTEXT } from '@opentelemetry/api';
import { SeverityNumber, type AnyValueMap, type LoggerLike as Logger, type LogAttributes } from '../../core/logTypes.js';
import { millisToHrTime, type ExportResult } from '@opentelemetry/core';
import { LoggerProvider, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { constants as fsConstants } from 'node:fs';
import { access, open as openFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from '../../core/errors.js';
import type { SerializedLine } from '../../core/line.js';
import { ATTR_DEPLOYMENT_ID, ATTR_EVENT_ID, ATTR_SCENARIO, TELEMETRY_SCOPE, type TelemetryLine } from '../../core/record.js';
import { isSafeScenario } from '../../core/scenario.js';
import { VERSION } from '../../core/version.js';
import { JsonlFileExporter } from '../../exporters/jsonl/JsonlFileExporter.js';
import { TelemetryBatchProcessor } from '../../processors/batch/TelemetryBatchProcessor.js';
import type { SyncLogRecordExporter } from '../../core/SyncLogRecordExporter.js';
import { PolicyProcessor, type DropReason } from '../../processors/policy/PolicyProcessor.js';
import { millisFromIso } from '../isoTime.js';
import { DedupWindow } from './DedupWindow.js';
import { readJsonl } from './readJsonl.js';
import { scanStoreDir } from './scan.js';
import { SummaryBook } from './SummaryBook.js';
import { JsonlRetention, type RetentionResult } from './retention.js';
import type { AppendResult, ScenarioSummary, StoreEvent, StoreQuery, StoreReadiness, StoreRejection, TelemetryStore } from './TelemetryStore.js';

export interface JsonlStoreOptions {
  /** Data directory: `{dir}/{scenario}.jsonl`. */
  dir: string;
  /** Crash events are stored only when this is `production` (the default). */
  environment?: string;
  /** Events counted as failures in summaries. Default: the standard set. */
  failureEvents?: readonly string[];
  /** Newest failures listed per scenario. Default 10. */
  recentFailures?: number;
  /** Ids remembered for de-duplication, all scenarios together. Default 100 000; 0 turns de-duplication off. */
  dedupWindow?: number;
  /** Largest serialised event (the policy processor's limit). Default 256 KiB. */
  maxEventBytes?: number;
  /** Most distinct scenarios; events that would create one more are rejected. Default 1000. */
  maxScenarios?: number;
  /** Most store files held open at once; the least-recently-used is closed beyond it. Default 128. */
  maxOpenFiles?: number;
}

/**
 * The batch processor writes and fsyncs a FATAL record at once: right for a process that may be dying, wrong for a
 * collector receiving other processes' crashes (an upload of many crash events would cost one disk flush each, a
 * denial of service). Here every export is a plain write(2), done before the answer; files are fsync'ed on close.
 */
class WithoutFsync implements SyncLogRecordExporter {
  constructor(private readonly inner: JsonlFileExporter) {}
  export(logs: ReadableLogRecord[], done: (result: ExportResult) => void): void {
    this.inner.export(logs, done);
  }
  exportSync(logs: readonly ReadableLogRecord[]): ExportResult {
    return this.inner.exportSync(logs);
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

const DROP_CODES: Record<DropReason, string> = {
  crash_outside_production: 'OPT_ERR_NOT_RECORDED',
  invalid: 'OPT_ERR_VALIDATION',
  too_large: 'OPT_ERR_EVENT_TOO_LARGE',
};

/**
 * The default collector store: JSONL files in the data dir, written by the same pipeline as in-process telemetry
 * (an own LoggerProvider → PolicyProcessor → TelemetryBatchProcessor → JsonlFileExporter). `append` emits each
 * event, learns synchronously which ones the policy dropped, and flushes the batch synchronously, so when it resolves
 * the lines are in the files and the counts are exact.
 *
 * De-duplication: an event with an `id` already stored for its scenario among the newest `dedupWindow` stored ids
 * (all scenarios together; rebuilt from the files at `open`, oldest-modified file first) is acknowledged as a
 * duplicate and not written. Summaries are updated as lines are written and rebuilt from the files at `open`.
 * One collector process per data dir: a second writer's lines would be in the files but not in this one's summaries.
 *
 * All or nothing per request: every file a request writes is opened and checked before the first line is written
 * (an unwritable one fails the request with nothing written); should a write still fail after other scenarios' lines
 * were written, those are counted in the summaries and the de-duplication window before the store throws, so the
 * client's retry finds them as duplicates. One `write(2)` per scenario per request.
 *
 * Scenario names are compared case-insensitively for files: the first spelling stored names the file, and an event
 * whose scenario differs from it only by case is stored in that file (its line keeps its own `scenario`), counted in
 * that scenario's summary and de-duplicated with it, so no two files collide on a case-insensitive file system.
 */
export class JsonlStore implements TelemetryStore {
  readonly kind = 'jsonl';
  readonly dir: string;
  private readonly provider: LoggerProvider;
  private readonly logger: Logger;
  private readonly batch: TelemetryBatchProcessor;
  private readonly exporter: JsonlFileExporter;
  private readonly book: SummaryBook;
  private readonly window: DedupWindow;
  private readonly scenarios = new Set<string>();
  /** Lower-cased scenario → the spelling that names its file (the first stored). */
  private readonly byFold = new Map<string, string>();
  private readonly maxScenarios: number;
  // State of the append in progress (append is synchronous inside, so there is only ever one).
  private events: readonly StoreEvent[] = [];
  /** The file (scenario) each event of the append in progress goes to, by event index. */
  private files: string[] = [];
  private result: AppendResult | undefined;
  /** Indices of events handed to the batch processor and not yet written, in emit order. */
  private pending: number[] = [];
  private pendingHead = 0;
  private dropped = false;
  private opened = false;
  private closePromise: Promise<void> | undefined;
  /** The storage failure of the newest append, until an append or a readiness probe succeeds. */
  private lastFailure: string | undefined;

  constructor(options: JsonlStoreOptions) {
    this.dir = options.dir;
    this.book = new SummaryBook({ failureEvents: options.failureEvents, recentFailures: options.recentFailures });
    this.window = new DedupWindow(options.dedupWindow ?? 100_000);
    this.maxScenarios = options.maxScenarios ?? 1000;
    const exporter = new JsonlFileExporter({
      dir: options.dir,
      maxOpenFiles: options.maxOpenFiles,
      fileScenario: (scenario) => this.fileOf(scenario),
      onWritten: (lines) => this.onWritten(lines),
    });
    this.exporter = exporter;
    // One export per append: the batch never flushes on count, and 4 MiB (its maximum) is the largest request body.
    this.batch = new TelemetryBatchProcessor({ exporter: new WithoutFsync(exporter), maxExportBatchSize: 1_000_000, maxQueueSize: 1_000_000, scheduledDelayMillis: 1000 });
    const policy = new PolicyProcessor({
      next: this.batch,
      environment: options.environment ?? 'production',
      maxEventBytes: options.maxEventBytes,
      onDrop: (_record, reason, message) => this.onDrop(reason, message),
    });
    this.provider = new LoggerProvider({ processors: [policy] });
    this.logger = this.provider.getLogger(TELEMETRY_SCOPE, VERSION);
  }

  /** Ids held by the de-duplication window (the collector's `dedup_window.size` metric). */
  dedupWindowSize(): number {
    return this.window.size;
  }

  async open(): Promise<void> {
    if (this.opened) return;
    this.opened = true;
    const window = this.window;
    const { files, lines } = await scanStoreDir(this.dir, this.book, {
      onId: window.capacity > 0 ? (scenario, id) => window.add(scenario, id) : undefined,
      onInvalid: (file, n, text) => diag.warn(`otel-product-telemetry: skipped unreadable line ${n} of ${file}: ${text}`),
    });
    for (const s of this.book.all()) this.known(s.scenario);
    diag.debug(`otel-product-telemetry: collector store loaded ${lines} events from ${files} files in ${this.dir}`);
  }

  append(events: readonly StoreEvent[]): Promise<AppendResult> {
    try {
      const result = this.appendSync(events);
      this.lastFailure = undefined;
      return Promise.resolve(result);
    } catch (err) {
      if (err instanceof StoreError) this.lastFailure = err.message;
      return Promise.reject(err);
    }
  }

  /** `append`, synchronously (the JSONL store never waits). Throws StoreError when the files could not be written. */
  appendSync(events: readonly StoreEvent[]): AppendResult {
    if (this.closePromise) throw new StoreError('the store is closed');
    const result: AppendResult = { stored: 0, duplicates: 0, dropped: 0, rejections: [] };
    this.events = events;
    this.files.length = 0;
    this.result = result;
    this.pending.length = 0;
    this.pendingHead = 0;
    const failedBefore = this.batch.failed;
    let seen: Set<string> | undefined;
    const window = this.window;
    const logger = this.logger;
    try {
      for (let i = 0; i < events.length; i++) {
        const e = events[i]!;
        const id = e.id;
        // The file this event goes to: its scenario, or the first-stored spelling of it in another case.
        let file = e.scenario;
        if (!this.scenarios.has(file)) file = (isSafeScenario(file) ? this.byFold.get(file.toLowerCase()) : undefined) ?? file;
        if (id !== undefined) {
          const key = file + '\n' + id;
          if (window.has(file, id) || (seen !== undefined && seen.has(key))) {
            result.duplicates++;
            continue;
          }
          (seen ??= new Set()).add(key);
        }
        if (!this.scenarios.has(file)) {
          if (this.scenarios.size >= this.maxScenarios) {
            this.reject(i, 'OPT_ERR_SCENARIO_LIMIT', `scenario ${JSON.stringify(e.scenario)} would exceed the limit of ${this.maxScenarios} scenarios (TELEMETRY_MAX_SCENARIOS)`);
            continue;
          }
          if (!isSafeScenario(file)) {
            this.reject(i, 'OPT_ERR_SCENARIO', `unsafe scenario name ${JSON.stringify(String(e.scenario).slice(0, 80))}`);
            continue;
          }
          this.known(file);
        }
        this.files[i] = file;
        const attributes: LogAttributes = id === undefined ? { [ATTR_SCENARIO]: e.scenario } : { [ATTR_SCENARIO]: e.scenario, [ATTR_EVENT_ID]: id };
        if (e.deploymentId !== undefined) attributes[ATTR_DEPLOYMENT_ID] = e.deploymentId;
        // Pushed before emit: a batch flush inside emit may already write this record (onWritten consumes in order).
        this.pending.push(i);
        this.dropped = false;
        logger.emit({
          eventName: e.event,
          // As HrTime, never a number: the SDK reads numbers below half of performance.timeOrigin (before ~1998)
          // as performance.now() offsets and adds the process start, so 1970-01-01 would be stored as "now".
          timestamp: millisToHrTime(e.timestamp),
          severityNumber: e.severityNumber ?? SeverityNumber.INFO,
          attributes,
          body: e.details as AnyValueMap | undefined,
          context: ROOT_CONTEXT,
        });
        if (this.dropped) this.pending.pop(); // a dropped record never reached the batch, so nothing consumed it
        // A write failed inside emit (a crash record flushes at once): stop; what was written is already counted.
        if (this.batch.failed !== failedBefore) break;
      }
      this.batch.flushSync();
      const failed = this.batch.failed - failedBefore;
      if (failed > 0) {
        throw new StoreError(`could not write ${failed} event(s) to ${this.dir} (see the diag log for the cause); events written before the failure are counted and their ids de-duplicate a retry`);
      }
      if (this.pendingHead !== this.pending.length) {
        // Cannot happen: the policy serialised every record it passed, so the exporter writes them all.
        throw new StoreError(`${this.pending.length - this.pendingHead} event(s) were not written`);
      }
      return result;
    } finally {
      this.events = [];
      this.files.length = 0;
      this.result = undefined;
    }
  }

  /**
   * Retention (retention.ts): delete whole store files whose newest event is older than `cutoffMs`, then count the
   * summaries afresh from the files kept. Runs beside appends, off the request path (startCollector's timer).
   */
  expire(cutoffMs: number): Promise<RetentionResult> {
    this.retention ??= new JsonlRetention(this.dir, this.book, () => this.exporter.writer.close());
    return this.retention.sweep(cutoffMs);
  }
  private retention: JsonlRetention | undefined;

  async summaries(): Promise<ScenarioSummary[]> {
    return this.book.all();
  }

  async summary(scenario: string): Promise<ScenarioSummary | undefined> {
    return this.book.get(scenario);
  }

  async *query(q: StoreQuery): AsyncIterable<TelemetryLine> {
    if (!isSafeScenario(q.scenario) || !this.book.has(q.scenario)) return;
    let left = q.limit ?? Number.POSITIVE_INFINITY;
    if (left <= 0) return;
    const path = join(this.dir, `${q.scenario}.jsonl`);
    try {
      for await (const { line } of readJsonl(path, { onInvalid: q.onInvalid })) {
        if (q.event !== undefined && line.event !== q.event) continue;
        if (q.since !== undefined || q.until !== undefined) {
          const ms = typeof line.ts === 'string' ? millisFromIso(line.ts) : undefined;
          if (ms === undefined || (q.since !== undefined && ms < q.since) || (q.until !== undefined && ms >= q.until)) continue;
        }
        yield line;
        if (--left <= 0) return;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
  }

  /** fsync every open file. */
  async flush(): Promise<void> {
    this.batch.flushSync();
    this.exporter.writer.syncAll();
  }

  close(): Promise<void> {
    this.closePromise ??= this.provider.shutdown();
    return this.closePromise;
  }

  /**
   * `GET /readyz`: not ready when closed, when the data dir is gone, not a directory or not writable, or when the last
   * append failed in storage and a probe write (`{dir}/.readyz-{pid}.probe`, removed at once) still fails. A probe
   * that succeeds clears the failure: the next append tells again.
   */
  async ready(): Promise<StoreReadiness> {
    if (this.closePromise) return { ready: false, reason: 'the store is closed' };
    try {
      if (!(await stat(this.dir)).isDirectory()) return { ready: false, reason: 'the data dir is not a directory' };
      await access(this.dir, fsConstants.W_OK);
    } catch (err) {
      return { ready: false, reason: `the data dir is not usable (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
    }
    if (this.lastFailure === undefined) return { ready: true };
    const probe = join(this.dir, `.readyz-${process.pid}.probe`);
    try {
      const fh = await openFile(probe, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC | fsConstants.O_NOFOLLOW, 0o600);
      try {
        await fh.write('x');
      } finally {
        await fh.close();
      }
      this.lastFailure = undefined;
      return { ready: true };
    } catch (err) {
      return { ready: false, reason: `the last write failed and a probe write fails too (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
    } finally {
      await rm(probe, { force: true }).catch(() => undefined);
    }
  }

  private reject(index: number, code: string, error: string): void {
    const r = this.result!;
    r.dropped++;
    r.rejections.push({ index, code, error } satisfies StoreRejection);
  }

  private onDrop(reason: DropReason, message: string): void {
    // Synchronous inside emit: the record being emitted is the last one pushed to `pending`.
    const index = this.pending[this.pending.length - 1];
    if (this.result === undefined || index === undefined) return;
    this.dropped = true;
    this.reject(index, DROP_CODES[reason], message);
  }

  /** A scenario is known (stored, or about to be): it names its file, and other spellings of it map there. */
  private known(scenario: string): void {
    this.scenarios.add(scenario);
    const fold = scenario.toLowerCase();
    if (!this.byFold.has(fold)) this.byFold.set(fold, scenario);
  }

  private fileOf(scenario: string): string {
    if (this.scenarios.has(scenario)) return scenario;
    return this.byFold.get(scenario.toLowerCase()) ?? scenario;
  }

  /**
   * Lines now in the files, in emit order. Usually the whole batch; after a failed write, the lines of the files that
   * were written (whole scenarios): pending events of the other files are passed over, uncounted.
   */
  private onWritten(lines: readonly SerializedLine[]): void {
    const r = this.result;
    if (r === undefined) return;
    const events = this.events;
    const files = this.files;
    const pending = this.pending;
    const book = this.book;
    const window = this.window;
    for (let k = 0; k < lines.length; k++) {
      const file = this.fileOf(lines[k]!.scenario);
      let index = pending[this.pendingHead++];
      while (index !== undefined && files[index] !== file) index = pending[this.pendingHead++];
      if (index === undefined) return; // cannot happen: every written line was pending
      const e = events[index]!;
      book.add(file, e.event, e.timestamp, e.details);
      if (e.id !== undefined) window.add(file, e.id);
      r.stored++;
    }
  }
}
