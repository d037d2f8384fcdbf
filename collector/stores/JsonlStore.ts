import { diag } from '../../core/diag.js';
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
import { isDuplicate, newAppendResult, SeenIds, StoreAdmission } from './admission.js';
import { BookSet } from './books.js';
import { bookkeepingFault } from './bookkeepingFault.js';
import { DedupWindow } from './DedupWindow.js';
import { InsightsBook } from './insights/InsightsBook.js';
import { GroupCommit, PendingAppend, type Batch } from './groupCommit.js';
import { readJsonl } from './readJsonl.js';
import { scanStoreDir } from './scan.js';
import { SummaryBook } from './SummaryBook.js';
import { JsonlRetention, type RetentionResult } from './retention.js';
import type { AppendResult, ScenarioSummary, StoreEvent, StoreQuery, StoreReadiness, StoreRuleOptions, TelemetryStore } from './TelemetryStore.js';

/** One call's admitted lines, grouped by file (`texts[k]` holds the lines of `lines[k]` for `files[k]`). */
interface AppendPlan {
  result: AppendResult;
  files: string[];
  texts: string[];
  lines: StoreEvent[][];
  /** Lines admitted (in all files). */
  admitted: number;
  /** Batches not yet written that hold ids this call found as duplicates. */
  duplicateOf: Batch[] | undefined;
}

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
  /**
   * Estimated memory of the insights rollups, all scenarios together (default 256 MiB): past it the oldest hours are
   * dropped from them, and a range reaching back to those is answered by the scan (within insightsScanBytes).
   */
  insightsMaxBytes?: number;
  /** Keep the insights rollups (default true); false saves their memory and answers every insights query by a scan. */
  insightsRollups?: boolean;
}

/**
 * The default collector store: JSONL files in the data dir, `{dir}/{scenario}.jsonl`. `append` admits each event
 * (admission.ts, shared with the ClickHouse store: scenario checks, de-duplication, and the policy's verdict —
 * processors/policy/admit.ts, the rules of the in-process pipeline — which also gives the event's one serialised
 * line), then queues the lines for their files (group commit, groupCommit.ts: one asynchronous `write(2)` per file
 * carries the lines of every call that arrived while the previous write ran); when it resolves the lines are in the
 * files and the counts are exact.
 *
 * De-duplication: an event with an `id` already stored for its scenario among the newest `dedupWindow` stored ids
 * (all scenarios together; rebuilt from the files at `open`, oldest-modified file first) is acknowledged as a
 * duplicate and not written. Summaries are updated as lines are written and rebuilt from the files at `open`.
 * One collector process per data dir: a second writer's lines would be in the files but not in this one's summaries.
 *
 * All or nothing per request: every file a request writes is opened and checked before the first line is written
 * (an unwritable one fails the request with nothing written); should a write still fail after other scenarios' lines
 * were written, those are counted in the summaries and the de-duplication window before the store throws, so the
 * client's retry finds them as duplicates. At most one `write(2)` per scenario per request (fewer under load).
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
  private readonly rollups: InsightsBook | undefined;
  private readonly books: BookSet;
  private readonly scanBytes: number;
  private readonly window: DedupWindow;
  private readonly admission: StoreAdmission;
  private readonly commits: GroupCommit;
  private readonly failureEvents: readonly string[] | undefined;
  private opened = false;
  private closePromise: Promise<void> | undefined;
  /** Written batches whose counting into the summaries/rollups threw (count): they were acknowledged all the same. */
  private failedBookkeeping = 0;
  /** The storage failure of the newest append, until an append or a readiness probe succeeds. */
  private lastFailure: string | undefined;

  constructor(options: JsonlStoreOptions) {
    this.dir = options.dir;
    this.failureEvents = options.failureEvents;
    this.book = new SummaryBook({ failureEvents: options.failureEvents, recentFailures: options.recentFailures });
    this.rollups = options.insightsRollups === false ? undefined : new InsightsBook({ failureEvents: options.failureEvents, keys: options.insightsKeys, maxBytes: options.insightsMaxBytes });
    this.books = new BookSet(this.rollups === undefined ? [this.book] : [this.book, this.rollups]);
    this.scanBytes = options.insightsScanBytes ?? DEFAULT_INSIGHTS_SCAN_BYTES;
    this.window = new DedupWindow(options.dedupWindow ?? 100_000);
    this.admission = new StoreAdmission({ environment: options.environment, maxEventBytes: options.maxEventBytes, maxScenarios: options.maxScenarios, foldCase: true });
    this.writer = new JsonlFileWriter(options.dir, { maxOpenFiles: options.maxOpenFiles });
    this.commits = new GroupCommit({
      write: (file, data, done) => this.writer.write(file, data, done),
      written: (batch) => {
        this.count(batch.file, batch.events);
        for (const call of batch.owners) call.result.stored++;
      },
    });
  }

  /** How often counting written lines into the summaries or rollups threw (count); those lines were acknowledged. */
  get bookkeepingFailures(): number {
    return this.failedBookkeeping;
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
      onInvalid: (file, n, text) => diag.warn(`skipped unreadable line ${n} of ${file}: ${text}`),
    });
    for (const s of this.book.all()) this.admission.known(s.scenario);
    diag.debug(`collector store loaded ${lines} events from ${files} files in ${this.dir}`);
  }

  /**
   * Admit the events, queue their lines (group commit: groupCommit.ts) and resolve once they are in the files.
   * Rejects with StoreError when a file could not be opened (nothing of the call is written) or a write failed (lines
   * of other files already written are counted, so the client's retry finds them as duplicates).
   */
  append(events: readonly StoreEvent[]): Promise<AppendResult> {
    let plan: AppendPlan;
    try {
      plan = this.plan(events);
    } catch (err) {
      return this.failed(err);
    }
    const { result, files, texts, lines, duplicateOf } = plan;
    if (files.length === 0 && duplicateOf === undefined) return Promise.resolve(result);
    return new Promise<AppendResult>((resolve, reject) => {
      const call = new PendingAppend(result, (failure) => {
        if (failure === undefined) {
          this.lastFailure = undefined;
          resolve(result);
          return;
        }
        this.lastFailure = failure.message;
        diag.error(`${failure.message}`);
        const lost = plan.admitted - result.stored;
        const what =
          lost > 0
            ? `could not write ${lost} event(s) to ${this.dir} (see the diag log for the cause); events written before the failure are counted and their ids de-duplicate a retry`
            : `an earlier request's write of the same event id(s) to ${this.dir} failed (see the diag log for the cause); a retry stores them`;
        reject(new StoreError(what, { cause: failure }));
      });
      // Hold the call open while it joins its batches, so one finishing at once cannot settle it early.
      call.left++;
      for (const b of duplicateOf ?? []) this.commits.wait(call, b);
      for (let k = 0; k < files.length; k++) this.commits.add(call, files[k]!, texts[k]!, lines[k]!);
      call.done(null);
    });
  }

  private failed(err: unknown): Promise<never> {
    if (err instanceof StoreError) this.lastFailure = err.message;
    return Promise.reject(err);
  }

  /**
   * `append` written synchronously (one `write(2)` per file on this thread), for tools and tests that add events one
   * call at a time; not while an `append` is being written (throws StoreError then).
   */
  appendSync(events: readonly StoreEvent[]): AppendResult {
    if (!this.commits.idle) throw new StoreError('appendSync cannot run while appends are being written');
    const { result, files, texts, lines, admitted } = this.plan(events);
    let k = 0;
    try {
      for (; k < files.length; k++) {
        this.writer.append(files[k]!, texts[k]!);
        this.count(files[k]!, lines[k]!);
        result.stored += lines[k]!.length;
      }
    } catch (err) {
      diag.error(`${(err as Error).message}`);
      throw new StoreError(`could not write ${admitted - result.stored} event(s) to ${this.dir} (see the diag log for the cause); events written before the failure are counted and their ids de-duplicate a retry`, { cause: err });
    }
    return result;
  }

  /**
   * Admission of one call (admission.ts): duplicates (of ids stored, earlier in the call, or in batches not yet
   * written), scenario checks, the policy's verdict and line; the lines grouped by file. All or nothing where it can
   * be: every target file is opened and checked here, before any line is queued, so an unwritable file (not a regular
   * file, a planted symlink, a permission) fails the call with nothing written. No fsync per write: a collector must
   * not pay a disk flush per uploaded crash; files are fsync'ed on flush and close.
   */
  private plan(events: readonly StoreEvent[]): AppendPlan {
    if (this.closePromise) throw new StoreError('the store is closed');
    const result = newAppendResult();
    const admission = this.admission;
    const window = this.window;
    const commits = this.commits;
    let seen: SeenIds | undefined;
    let duplicateOf: Batch[] | undefined;
    // The usual call has one or two files: a linear search beats a map.
    const files: string[] = [];
    const texts: string[] = [];
    const lines: StoreEvent[][] = [];
    let admitted = 0;
    let last = -1;
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const id = e.id;
      // The file this event goes to: its scenario, or the first-stored spelling of it in another case.
      const file = admission.keyOf(e.scenario);
      if (id !== undefined) {
        if (isDuplicate(window, (seen ??= new SeenIds()), file, id)) {
          result.duplicates++;
          continue;
        }
        const pending = commits.pendingBatch(file, id);
        if (pending !== undefined) {
          // Stored by an earlier call whose write is still running: a duplicate, acknowledged once that is written.
          result.duplicates++;
          (duplicateOf ??= []).push(pending);
          continue;
        }
      }
      if (admission.admitScenario(file, e, i, result) === false) continue;
      const s = admission.admit(e, id, i, result);
      if (s === undefined) continue;
      admitted++;
      let k = last !== -1 && files[last] === file ? last : files.indexOf(file);
      if (k === -1) {
        k = files.length;
        files.push(file);
        texts.push('');
        lines.push([]);
      }
      last = k;
      texts[k] += s.line;
      lines[k]!.push(e);
    }
    if (files.length > 0) {
      try {
        this.writer.prepare(files);
      } catch (err) {
        diag.error(`${(err as Error).message}`);
        throw new StoreError(`could not write ${admitted} event(s) to ${this.dir}, nothing written: ${(err as Error).message}`, { cause: err });
      }
    }
    return { result, files, texts, lines, admitted, duplicateOf };
  }

  /**
   * Lines of `events` now in `file`: into the de-duplication window, the summaries and the rollups. Never throws: the
   * lines are written, so the call is acknowledged whatever happens here (the files are the truth; the books are
   * counted from them again at the next start, and at retention's next recount). The window comes first and alone
   * (a Set add per id), so a retry of these ids is a duplicate even if a book fails; a book that throws is reported
   * (once per store at error level through diag, then at debug level; counted in `bookkeepingFailures`) and left short of the rest of the batch.
   */
  private count(file: string, events: readonly StoreEvent[]): void {
    const window = this.window;
    for (const e of events) if (e.id !== undefined) window.add(file, e.id);
    try {
      bookkeepingFault.run?.(file);
      const book = this.book;
      for (const e of events) book.add(file, e.event, e.timestamp, e.details);
    } catch (err) {
      this.booksFailed('summaries', file, events.length, err);
    }
    const rollups = this.rollups;
    if (rollups === undefined) return;
    try {
      for (const e of events) rollups.addEvent(file, e);
    } catch (err) {
      this.booksFailed('insights rollups', file, events.length, err);
    }
  }

  /** Post-write bookkeeping that threw (count): the batch stays acknowledged; said once, then counted. */
  private booksFailed(books: string, file: string, lines: number, err: unknown): void {
    this.failedBookkeeping++;
    if (this.failedBookkeeping > 1) {
      diag.debug(`store bookkeeping (${books}) failed again (${this.failedBookkeeping} times so far): ${(err as Error)?.message ?? String(err)}`);
      return;
    }
    diag.error(
      `${lines} event(s) were written to ${file}'s file in ${this.dir} but counting them into the ${books} failed (${(err as Error)?.stack ?? String(err)}); ` +
        'the events are stored and acknowledged; the summaries and rollups miss some of them until the next start (or retention\'s next recount) counts the files again. Further failures are logged at debug level.',
    );
  }

  /**
   * Retention (retention.ts): delete whole store files whose newest event is older than `cutoffMs`, then count the
   * summaries afresh from the files kept. Runs beside appends, off the request path (startCollector's timer).
   */
  expire(cutoffMs: number): Promise<RetentionResult> {
    this.retention ??= new JsonlRetention(this.dir, this.books, { hold: () => this.commits.hold(), closeFiles: () => this.writer.close() });
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
    const rolled = this.rollups?.answer(q) ?? { field: 'by' as const, reason: 'the insights rollups are off' };
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

  /** Wait for the appends being written, then fsync every open file. */
  async flush(): Promise<void> {
    await this.commits.drained();
    this.writer.syncAll();
  }

  close(): Promise<void> {
    this.closePromise ??= (async () => {
      // Appends already admitted are written and answered; new ones are refused (closePromise is set).
      await this.commits.drained();
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
