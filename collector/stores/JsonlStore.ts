import { diag } from '@opentelemetry/api';
import { constants as fsConstants } from 'node:fs';
import { access, open as openFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from '../../core/errors.js';
import type { TelemetryLine } from '../../core/record.js';
import { isSafeScenario } from '../../core/scenario.js';
import { computeInsights } from '../../query/insights/compute.js';
import { InsightsBudgetError } from '../../query/insights/errors.js';
import type { InsightsAnswer, InsightsQuery } from '../../query/insights/types.js';
import { activeFileName } from '../../core/storeFiles.js';
import { JsonlFileWriter } from '../../exporters/jsonl/writer.js';
import { millisFromIso } from '../isoTime.js';
import { isDuplicate, newAppendResult, StoreAdmission } from './admission.js';
import { BookSet } from './books.js';
import { DedupWindow } from './DedupWindow.js';
import { InsightsBook } from './insights/InsightsBook.js';
import { readJsonl } from './readJsonl.js';
import { scanStoreDir } from './scan.js';
import { SummaryBook } from './SummaryBook.js';
import { JsonlRetention, type RetentionResult } from './retention.js';
import type { AppendResult, ScenarioSummary, StoreEvent, StoreQuery, StoreReadiness, StoreRuleOptions, TelemetryStore } from './TelemetryStore.js';

/** JsonlStoreOptions.insightsScanBytes' default. */
export const DEFAULT_INSIGHTS_SCAN_BYTES = 64 * 1024 * 1024;

export interface JsonlStoreOptions extends StoreRuleOptions {
  /** Data directory: `{dir}/{scenario}.jsonl`. */
  dir: string;
  /** Most store files held open at once; the least-recently-used is closed beyond it. Default 128. */
  maxOpenFiles?: number;
  /** `details` keys the insights rollups keep, besides event, level and deployment_id. Default `version`, `platform`. */
  insightsKeys?: readonly string[];
  /**
   * Largest scenario file read to answer an insights query the rollups cannot (a details key not rolled up, minute
   * buckets older than 48 hours); beyond it the query is refused (422). Default 64 MiB.
   */
  insightsScanBytes?: number;
}

/**
 * The default collector store: JSONL files in the data dir, `{dir}/{scenario}.jsonl`. `append` admits each event
 * (admission.ts, shared with the ClickHouse store: scenario checks, de-duplication, and the policy's verdict —
 * processors/policy/admit.ts, the rules of the in-process pipeline — which also gives the event's one serialised
 * line), then writes the lines synchronously, so when it resolves the lines are in the files and the counts are exact.
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
  private readonly writer: JsonlFileWriter;
  private readonly book: SummaryBook;
  /** Insights rollups, fed with the summaries (books.ts). */
  private readonly rollups: InsightsBook;
  private readonly books: BookSet;
  private readonly scanBytes: number;
  private readonly window: DedupWindow;
  private readonly admission: StoreAdmission;
  private readonly failureEvents: readonly string[] | undefined;
  private opened = false;
  private closePromise: Promise<void> | undefined;
  /** The storage failure of the newest append, until an append or a readiness probe succeeds. */
  private lastFailure: string | undefined;

  constructor(options: JsonlStoreOptions) {
    this.dir = options.dir;
    this.failureEvents = options.failureEvents;
    this.book = new SummaryBook({ failureEvents: options.failureEvents, recentFailures: options.recentFailures });
    this.rollups = new InsightsBook({ failureEvents: options.failureEvents, keys: options.insightsKeys });
    this.books = new BookSet([this.book, this.rollups]);
    this.scanBytes = options.insightsScanBytes ?? DEFAULT_INSIGHTS_SCAN_BYTES;
    this.window = new DedupWindow(options.dedupWindow ?? 100_000);
    this.admission = new StoreAdmission({ environment: options.environment, maxEventBytes: options.maxEventBytes, maxScenarios: options.maxScenarios, foldCase: true });
    this.writer = new JsonlFileWriter(options.dir, { maxOpenFiles: options.maxOpenFiles });
  }

  /** Ids held by the de-duplication window (the collector's `dedup_window.size` metric). */
  dedupWindowSize(): number {
    return this.window.size;
  }

  async open(): Promise<void> {
    if (this.opened) return;
    this.opened = true;
    const window = this.window;
    const { files, lines } = await scanStoreDir(this.dir, this.books, {
      onId: window.capacity > 0 ? (scenario, id) => window.add(scenario, id) : undefined,
      onInvalid: (file, n, text) => diag.warn(`otel-product-telemetry: skipped unreadable line ${n} of ${file}: ${text}`),
    });
    for (const s of this.book.all()) this.admission.known(s.scenario);
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
    const result = newAppendResult();
    const admission = this.admission;
    const window = this.window;
    const seen = new Set<string>();
    // Admitted events in order, with the file each goes to; their lines grouped by file (the usual request has one
    // or two scenarios: the first file needs no map).
    const admitted: number[] = [];
    const files: string[] = [];
    let firstFile: string | undefined;
    let firstText = '';
    let others: Map<string, string> | undefined;
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const id = e.id;
      // The file this event goes to: its scenario, or the first-stored spelling of it in another case.
      const file = admission.keyOf(e.scenario);
      if (id !== undefined && isDuplicate(window, seen, file, id)) {
        result.duplicates++;
        continue;
      }
      if (admission.admitScenario(file, e, i, result) === false) continue;
      const s = admission.admit(e, id, i, result);
      if (s === undefined) continue;
      admitted.push(i);
      files.push(file);
      if (firstFile === undefined || firstFile === file) {
        firstFile = file;
        firstText += s.line;
      } else {
        others ??= new Map();
        others.set(file, (others.get(file) ?? '') + s.line);
      }
    }
    if (firstFile === undefined) return result;
    // All or nothing where it can be: every target file is opened and checked before the first line is written, so
    // an unwritable file (not a regular file, a planted symlink, a permission) fails the request with nothing written.
    // One write(2) per file follows (no fsync: a collector must not pay a disk flush per uploaded crash; files are
    // fsync'ed on flush and close); should one still fail (ENOSPC, EIO), the files already written are counted before
    // the store throws, so a retry finds their events as duplicates.
    let written: Set<string> | undefined;
    try {
      if (others) this.writer.prepare([firstFile, ...others.keys()]);
      this.writer.append(firstFile, firstText);
      if (others) {
        written = new Set([firstFile]);
        for (const [file, text] of others) {
          this.writer.append(file, text);
          written.add(file);
        }
      }
    } catch (err) {
      diag.error(`otel-product-telemetry: ${(err as Error).message}`);
      if (written !== undefined) this.count(events, admitted, files, written, result);
      throw new StoreError(`could not write ${admitted.length - result.stored} event(s) to ${this.dir} (see the diag log for the cause); events written before the failure are counted and their ids de-duplicate a retry`, { cause: err });
    }
    this.count(events, admitted, files, undefined, result);
    return result;
  }

  /** Lines now in the files (all, or those of the files `written`): into the summaries and the window, counted. */
  private count(events: readonly StoreEvent[], admitted: readonly number[], files: readonly string[], written: ReadonlySet<string> | undefined, result: AppendResult): void {
    const book = this.book;
    const rollups = this.rollups;
    const window = this.window;
    for (let k = 0; k < admitted.length; k++) {
      const file = files[k]!;
      if (written !== undefined && !written.has(file)) continue;
      const e = events[admitted[k]!]!;
      book.add(file, e.event, e.timestamp, e.details);
      rollups.addEvent(file, e);
      if (e.id !== undefined) window.add(file, e.id);
      result.stored++;
    }
  }

  /**
   * Retention (retention.ts): delete whole store files whose newest event is older than `cutoffMs`, then count the
   * summaries afresh from the files kept. Runs beside appends, off the request path (startCollector's timer).
   */
  expire(cutoffMs: number): Promise<RetentionResult> {
    this.retention ??= new JsonlRetention(this.dir, this.books, () => this.writer.close());
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
    const path = join(this.dir, activeFileName(q.scenario));
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

  /**
   * Insights from the rollups (insights/InsightsBook.ts), no file read. A query they cannot answer (a details key not
   * rolled up, minute buckets before the 48-hour horizon, a range off slot boundaries, a grouping past its cap) is
   * answered by the reference scan of the scenario's file (the query engine's reader) when the file is at most
   * `insightsScanBytes`, else refused with InsightsBudgetError (422) naming the parameter and the budget.
   */
  async insights(q: InsightsQuery): Promise<InsightsAnswer> {
    const rolled = this.rollups.answer(q);
    if (!('reason' in rolled)) return rolled;
    let size = 0;
    if (isSafeScenario(q.scenario) && this.book.has(q.scenario)) {
      try {
        size = (await stat(join(this.dir, activeFileName(q.scenario)))).size;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    if (size > this.scanBytes) {
      throw new InsightsBudgetError(rolled.field, `${rolled.reason}; answering would read ${size} bytes of ${q.scenario}'s file, over the scan budget of ${this.scanBytes} bytes`);
    }
    return computeInsights(q, this.query({ scenario: q.scenario, since: q.from, until: q.to, event: q.event }), { failureEvents: this.failureEvents });
  }

  /** fsync every open file. */
  async flush(): Promise<void> {
    this.writer.syncAll();
  }

  close(): Promise<void> {
    this.closePromise ??= (async () => {
      this.writer.syncAll();
      this.writer.close();
    })();
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
}
