import { diag } from '../../../core/diag.js';
import { SeverityNumber } from '../../../core/logTypes.js';
import { ClickHouseError, StoreError } from '../../../core/errors.js';
import { uuidv7 } from '../../../core/id.js';
import { levelOf } from '../../../core/line.js';
import type { TelemetryLine } from '../../../core/record.js';
import { isSafeScenario } from '../../../core/scenario.js';
import type { InsightsAnswer, InsightsQuery } from '../../../query/insights/types.js';
import { withRetry } from '../../../exporters/clickhouse/retry.js';
import { RowWriter } from '../../../exporters/clickhouse/RowWriter.js';
import { encodeRowsNative, encodeRunNative, joinNative, type NativeRun } from '../../../exporters/clickhouse/native.js';
import { lineFromRow, rowKey, type EventRow, type StoredRow } from '../../../exporters/clickhouse/rows.js';
import { ensureSchema, qualifiedName } from '../../../exporters/clickhouse/schema.js';
import { parseTsv, tsvField } from '../../../exporters/clickhouse/tsv.js';
import { SequenceClock } from '../../../exporters/clickhouse/sequence.js';
import { isDuplicate, newAppendResult, SeenIds, StoreAdmission } from '../admission.js';
import { DedupWindow } from '../DedupWindow.js';
import type { AppendResult, ScenarioSummary, StoreEvent, StoreQuery, StoreReadiness, StoreRuleOptions, TelemetryStore } from '../TelemetryStore.js';
import { loadClickHouseStoreConfig, type ClickHouseStoreConfig, type ClickHouseStoreSettingsOptions } from './config.js';
import { SMALL_READ_SETTINGS, PAGE_STRUCTURE, PARAMS_STRUCTURE, STAMPS_STRUCTURE, storeSql, type StoreSql } from './sql.js';
import { EarlyLookups, type EarlyAnswer } from './earlyLookup.js';
import { sqlInsights } from './insights.js';
import { ensureRollup, HOUR_MS, Rollup, rollupTables } from './rollup.js';
import { QueryBounds } from './queryBounds.js';
import { readSummaries, type SummaryQueryOptions } from './summaries.js';

export interface ClickHouseStoreOptions extends ClickHouseStoreSettingsOptions, StoreRuleOptions {
  /** Environment to read `TELEMETRY_CLICKHOUSE_*` from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Days to keep events (a table TTL, set at open when the store creates the schema); 0 or unset = forever. */
  retentionDays?: number;
}

/** A row as the store queues it. */
interface QueuedRow extends EventRow {
  /** The id came from the client: the only rows that can be duplicates. */
  client: boolean;
  /** Looked up in the table already (an early answer that still holds): no precheck before the INSERT. */
  checked: boolean;
}

/** One `append` call waiting for its INSERT. */
interface PendingAppend {
  readonly rows: QueuedRow[];
  /** The early duplicate check of its client rows (earlyLookup.ts); undefined without `dedupCheck` or client ids. */
  readonly early: Promise<EarlyAnswer | undefined> | undefined;
  /** Its rows' columns, encoded as they were admitted (native.ts); undefined if that failed. */
  readonly run: NativeRun | undefined;
  readonly newScenarios: string[];
  readonly result: AppendResult;
  resolve(result: AppendResult): void;
  reject(err: Error): void;
}

/**
 * The collector's ClickHouse store (`TELEMETRY_STORE=clickhouse`): events go to one `ReplacingMergeTree` table
 * (exporters/clickhouse/schema.ts) over the HTTP interface; summaries and queries are SQL, nothing is kept in memory
 * but a bounded window of recent client ids.
 *
 * `append` admits each event as the JSONL store does (admission.ts: scenario safety and limit, and the policy's
 * verdict — processors/policy/admit.ts: crash only in production, valid, size), then queues its rows. Appends that
 * arrive while an INSERT is running are grouped into the next one (group commit: one INSERT per group, at most `maxInsertRows` rows), so ClickHouse gets few, large
 * inserts. Its promise resolves when ClickHouse has the rows, and rejects with a StoreError (the collector answers
 * 503) when the insert failed after retries — then nothing of that call is acknowledged.
 *
 * De-duplication by client id, exactly as far as it goes:
 * 1. within one group and against the newest `dedupWindow` client ids this store stored (same scenario, any time);
 * 2. with `dedupCheck` (default), against the table: events whose (scenario, ts, id) is stored are not inserted —
 *    a retried upload (the same line again) is never stored twice, however old. The lookup starts one turn of the
 *    event loop after the append arrives, shared by that turn's appends (earlyLookup.ts), so it runs beside the INSERT
 *    before and while the group's INSERT body is written, not between admitting and inserting;
 * 3. what still gets in twice (two collectors racing on the same event; with the check off, a client re-sending an
 *    upload answered 503 after its rows landed) has the same sorting key and collapses when ClickHouse merges;
 *    until then reads are exact anyway (`uniqExact(ts_ms, id)`, `FINAL`).
 * An event re-sent with the same id but another timestamp beyond the window is a different row.
 */
/** Queries with at most this limit read page by page (queryPaged); longer ones stream the scenario with FINAL. */
const MAX_PAGED_LIMIT = 10_000;
/** Extra rows per page, so that a few duplicate copies do not cost a second page. */
const PAGE_SLACK = 16;

/**
 * The settling tick (rollup.ts): an hour this store inserted into is settled at the first tick after a full interval
 * without inserts into it. Settling an hour that is still being written is wasted work — the next insert makes it
 * dirty again — and during a bulk ingest it cost ~10% of the ingest rate (300k events, measured against no settling).
 */
const SETTLE_DELAY_MS = 1000;
/** Ticks that settling waits at most while inserts go on (settleQuiet). */
const MAX_POSTPONED_TICKS = 30;

export class ClickHouseStore implements TelemetryStore {
  readonly kind = 'clickhouse';
  readonly config: ClickHouseStoreConfig;
  private readonly writer: RowWriter;
  private readonly sql: StoreSql;
  private readonly summaryOptions: SummaryQueryOptions;
  private readonly window: DedupWindow;
  /** Additions to the window, and failed INSERTs, so far (earlyLookup.ts: whether an early answer still holds). */
  private windowAdds = 0;
  /**
   * `windowAdds` before the running commit took its group's ids in (undefined when none runs): those ids may land
   * after a lookup sent now, so a lookup's mark counts from here (earlyLookup.ts).
   */
  private windowAddsLanded: number | undefined;
  private failedInserts = 0;
  private readonly early: EarlyLookups;
  private readonly seq = new SequenceClock();
  private readonly admission: StoreAdmission;
  private readonly queue: PendingAppend[] = [];
  private queuedRows = 0;
  private pumping: Promise<void> | undefined;
  private opened: Promise<void> | undefined;
  private closePromise: Promise<void> | undefined;
  private readonly retentionDays: number;
  /** The hourly rollup (rollup.ts); undefined when its tables are not there (operators own the DDL): then reads scan. */
  private rollup: Rollup | undefined;
  /** Query pages that read only the hours holding them (queryBounds.ts); with the rollup, which means one server. */
  private bounds: QueryBounds | undefined;
  /** Hours this store inserted into since the last settling tick, per scenario. */
  private touched = new Map<string, Set<number>>();
  /** Hours inserted into before the last tick and not settled yet: settled at the next tick unless touched again. */
  private waiting = new Map<string, Set<number>>();
  private settleTimer: NodeJS.Timeout | undefined;
  /** Ticks in a row that found new inserts and left settling for later (settleQuiet). */
  private postponedTicks = 0;
  private settling: Promise<void> | undefined;

  constructor(options: ClickHouseStoreOptions = {}) {
    const { environment, failureEvents, recentFailures, dedupWindow, maxEventBytes, maxScenarios, env, retentionDays, ...settings } = options;
    this.retentionDays = retentionDays ?? 0;
    this.config = loadClickHouseStoreConfig(settings, env ?? process.env);
    this.writer = new RowWriter(this.config);
    this.sql = storeSql(this.config);
    this.summaryOptions = { failureEvents: failureEvents ?? undefined, recentFailures: recentFailures ?? 10 };
    this.window = new DedupWindow(dedupWindow ?? 100_000);
    this.admission = new StoreAdmission({ environment, maxEventBytes, maxScenarios });
    this.early = new EarlyLookups((rows) => this.writer.existingKeys(rows), () => ({ windowAdds: this.windowAddsLanded ?? this.windowAdds, failedInserts: this.failedInserts }), this.config.maxInsertRows);
  }

  /** Ids held by the de-duplication window (the collector's `dedup_window.size` metric). */
  dedupWindowSize(): number {
    return this.window.size;
  }

  /** Create (or check) the schema, learn the scenarios and the largest `seq`. Retried within the retry deadline. */
  open(): Promise<void> {
    this.opened ??= withRetry(this.config, `opening the ClickHouse store ${this.config.database}.${this.config.table}`, async () => {
      await ensureSchema(this.writer.http, this.config, this.config.createSchema, this.retentionDays);
      const tables = rollupTables(this.config);
      this.rollup = (await ensureRollup(this.writer.http, tables, this.config.createSchema, this.retentionDays)) ? new Rollup(this.writer.http, tables, this.config) : undefined;
      this.bounds = this.rollup === undefined ? undefined : new QueryBounds(this.writer.http, this.sql, this.config);
      for (const r of await this.writer.http.rows<{ scenario: string; seq: string }>(this.sql.scenarios())) {
        this.admission.known(r.scenario);
        this.seq.atLeast(Number(r.seq));
      }
      if (!this.config.dedupCheck && this.window.capacity > 0) {
        const newest = await this.writer.http.rows<{ scenario: string; id: string }>(this.sql.newestIds(this.window.capacity));
        for (let i = newest.length - 1; i >= 0; i--) this.window.add(newest[i]!.scenario, newest[i]!.id);
      }
      diag.debug(`ClickHouse store ${this.config.database}.${this.config.table} at ${this.writer.http.where} open (${this.admission.scenarioCount} scenarios)`);
    });
    return this.opened;
  }

  append(events: readonly StoreEvent[]): Promise<AppendResult> {
    if (this.closePromise !== undefined) return Promise.reject(new StoreError('the store is closed'));
    const result = newAppendResult();
    const admission = this.admission;
    const rows: QueuedRow[] = [];
    let clients = 0;
    const newScenarios: string[] = [];
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const scenario = admission.admitScenario(e.scenario, e, i, result);
      if (scenario === false) continue;
      if (scenario === 'new') newScenarios.push(e.scenario);
      const id = e.id ?? uuidv7(e.timestamp);
      const details = admission.admitDetails(e, id, i, result);
      if (details === undefined) continue;
      const severity = e.severityNumber ?? SeverityNumber.INFO;
      const row: QueuedRow = {
        scenario: e.scenario,
        ts_ms: Math.floor(e.timestamp),
        id,
        event: e.event,
        deployment_id: e.deploymentId ?? null,
        installation_id: e.installationId ?? null,
        level: levelOf(severity) ?? '',
        details,
        seq: 0,
        client: e.id !== undefined,
        checked: false,
      };
      rows.push(row);
      if (row.client) clients++;
    }
    if (rows.length === 0) return Promise.resolve(result);
    // Bounded memory: while ClickHouse is slow, at most two INSERTs' worth of rows wait (one append alone always may).
    const limit = this.config.maxInsertRows * 2;
    if (this.queuedRows > 0 && this.queuedRows + rows.length > limit) {
      for (const s of newScenarios) this.admission.forget(s);
      return Promise.reject(new StoreError(`ClickHouse is behind: ${this.queuedRows} rows are waiting to be inserted (limit ${limit}); try again later`));
    }
    const early = this.config.dedupCheck && clients > 0 ? this.early.request(clients === rows.length ? rows : rows.filter((r) => r.client)) : undefined;
    let run: NativeRun | undefined;
    try {
      run = encodeRunNative(rows);
    } catch {
      // (Out of memory, say.) The group's INSERT encodes its rows again.
      run = undefined;
    }
    return new Promise<AppendResult>((resolve, rejectAppend) => {
      this.queue.push({ rows, early, run, newScenarios, result, resolve, reject: rejectAppend });
      this.queuedRows += rows.length;
      this.pump();
    });
  }

  summaries(): Promise<ScenarioSummary[]> {
    return readSummaries(this.writer.http, this.sql, this.config, this.summaryOptions, undefined, this.rollup);
  }

  async summary(scenario: string): Promise<ScenarioSummary | undefined> {
    if (!isSafeScenario(scenario)) return undefined;
    const found = await readSummaries(this.writer.http, this.sql, this.config, this.summaryOptions, scenario, this.rollup);
    return found[0];
  }

  /** Stored events of one scenario in stored order (`seq`), filtered in SQL; streamed. */
  async *query(q: StoreQuery): AsyncIterable<TelemetryLine> {
    if (!isSafeScenario(q.scenario)) return;
    let left = q.limit ?? Number.POSITIVE_INFINITY;
    if (left <= 0) return;
    // ts_ms are whole milliseconds: ts >= 10.5 is ts >= 11, and ts < 10.5 is ts < 11.
    const since = q.since !== undefined && q.since > 0 ? Math.ceil(q.since) : undefined;
    const until = q.until !== undefined ? Math.ceil(q.until) : undefined;
    if (until !== undefined && until <= 0) return;
    const params = { s: q.scenario, e: q.event ?? '', since: since ?? 0, until: until ?? 0 };
    const filters = { since: since !== undefined, until: until !== undefined, event: q.event !== undefined };
    if (left <= MAX_PAGED_LIMIT) {
      yield* this.queryPaged(params, filters, left);
      return;
    }
    const sql = this.sql.query(filters);
    for await (const row of this.writer.http.stream<StoredRow>(sql, { tables: [{ name: 'params', structure: PARAMS_STRUCTURE, rows: [params] }] })) {
      yield lineFromRow(row);
      if (--left <= 0) return;
    }
  }

  /**
   * Insights in SQL (insights.ts), for every `by`: a details key through the rows' details index (the columns
   * details_keys / details_values, exporters/clickhouse/detailsIndex.ts).
   */
  insights(q: InsightsQuery): Promise<InsightsAnswer> {
    return sqlInsights(this.writer.http, this.config, qualifiedName(this.config), q, this.summaryOptions.failureEvents);
  }

  /**
   * A limited query without FINAL and without reading whole rows of the scenario: page by page, the (ts_ms, seq) of
   * the next rows in stored order (narrow columns), then every stored copy of the rows at those times (through the
   * primary key). A stored event's place is its newest copy's `seq` (the rule recent failures use); a page's events
   * whose newest copy lies beyond the page's last `seq` wait for a later page, so the order is exact even while
   * duplicate rows wait for a merge.
   */
  private async *queryPaged(params: { s: string; e: string; since: number; until: number }, filters: { since: boolean; until: boolean; event: boolean }, limit: number): AsyncGenerator<TelemetryLine> {
    let left = limit;
    let after = 0;
    const waiting = new Map<string, { row: StoredRow & { seq: string }; seq: number }>();
    const done = new Set<string>();
    for (;;) {
      const size = left + PAGE_SLACK;
      const page = { ...params, after };
      let full: boolean;
      let boundary: number;
      let rows: (StoredRow & { seq: string })[] = [];
      const bounded = this.bounds === undefined ? undefined : await this.bounds.page(params, filters, after, size);
      if (bounded !== undefined) {
        // Only the hours that hold the page (queryBounds.ts): every row past `after` there, every copy included.
        ({ rows, full, boundary } = bounded);
      } else if (this.rollup !== undefined) {
        // One server (see pageRowsBounded): one statement. Its rows with seq > after hold the page's stamps as their
        // `size` smallest seqs (the stamps are the smallest of all matching rows, and every one of them is returned);
        // fewer than `size` of them means the scenario ended within the page.
        rows = await withRetry(this.config, 'reading events', (a) =>
          this.writer.http.rows<StoredRow & { seq: string }>(this.sql.pageRowsBounded(filters, size), { tables: [{ name: 'page', structure: PAGE_STRUCTURE, rows: [page] }], settings: SMALL_READ_SETTINGS, timeoutMs: a.timeoutMs, signal: a.signal }),
        );
        const seqs = rows.map((r) => Number(r.seq)).filter((q) => q > after).sort((a, b) => a - b);
        full = seqs.length >= size;
        boundary = full ? seqs[size - 1]! : Number.POSITIVE_INFINITY;
        this.bounds?.wholeRead(params, filters, rows.length);
      } else {
        const text = await withRetry(this.config, 'reading events', (a) =>
          this.writer.http.text(this.sql.pageStamps(filters, size), { tables: [{ name: 'page', structure: PAGE_STRUCTURE, rows: [page] }], settings: SMALL_READ_SETTINGS, timeoutMs: a.timeoutMs, signal: a.signal }),
        );
        const stamps = parseTsv(text);
        full = stamps.length === size;
        boundary = full ? Number(stamps[stamps.length - 1]![1]) : Number.POSITIVE_INFINITY;
        if (stamps.length > 0) {
          const times = [...new Set(stamps.map((r) => r[0]!))];
          let tsv = '';
          for (const t of times) tsv += tsvField(params.s) + '\t' + t + '\n';
          const tables = [
            { name: 'stamps', structure: STAMPS_STRUCTURE, tsv },
            { name: 'page', structure: PAGE_STRUCTURE, rows: [page] },
          ];
          rows = await withRetry(this.config, 'reading events', (a) => this.writer.http.rows<StoredRow & { seq: string }>(this.sql.pageRows(filters.event), { tables, settings: SMALL_READ_SETTINGS, timeoutMs: a.timeoutMs, signal: a.signal }));
        }
      }
      for (const row of rows) {
        const key = rowKey(row.scenario, row.ts_ms, row.id);
        if (done.has(key)) continue;
        const seq = Number(row.seq);
        const had = waiting.get(key);
        if (had === undefined || had.seq < seq) waiting.set(key, { row, seq });
      }
      const ready = [...waiting].filter(([, w]) => w.seq <= boundary).sort((a, b) => a[1].seq - b[1].seq);
      for (const [key, w] of ready) {
        waiting.delete(key);
        done.add(key);
        yield lineFromRow(w.row);
        if (--left <= 0) return;
      }
      if (!full) return;
      after = boundary;
    }
  }

  /** Resolves when every append made so far has been inserted (or failed). */
  async flush(): Promise<void> {
    while (this.pumping !== undefined) await this.pumping;
  }

  close(): Promise<void> {
    this.closePromise ??= (async () => {
      await this.flush();
      // Settle what is left now, so that the next reader finds the hours settled (failing only costs it a read).
      clearTimeout(this.settleTimer);
      this.settleTimer = undefined;
      await this.settling;
      await this.settleAll();
      await this.bounds?.idle();
    })();
    return this.closePromise;
  }

  /** Note the hours of stored rows; settle them soon (rollup.ts), off the append's path. */
  private touch(rows: readonly EventRow[]): void {
    if (this.rollup === undefined) return;
    let lastScenario = '';
    let lastHour = -1;
    let set: Set<number> | undefined;
    for (const r of rows) {
      const hour = Math.floor(r.ts_ms / HOUR_MS);
      if (r.scenario === lastScenario && hour === lastHour) continue;
      if (r.scenario !== lastScenario || set === undefined) set = hoursOf(this.touched, r.scenario);
      set.add(hour);
      lastScenario = r.scenario;
      lastHour = hour;
    }
    if (this.settleTimer === undefined && this.settling === undefined && this.closePromise === undefined) {
      this.settleTimer = setTimeout(() => {
        this.settleTimer = undefined;
        this.settling = this.settleQuiet().finally(() => {
          this.settling = undefined;
          if ((this.touched.size > 0 || this.waiting.size > 0) && this.closePromise === undefined) this.touch([]);
        });
      }, SETTLE_DELAY_MS);
      this.settleTimer.unref();
    }
  }

  /**
   * A tick: settle the waiting hours not touched since the last tick; the hours touched since then wait. While this
   * store goes on inserting, settling waits for a tick without inserts, or MAX_POSTPONED_TICKS ticks: its reads of the
   * events compete with the INSERTs for ClickHouse (at 300k events in bulk: 15 settling reads, 573 ms of the server's
   * statement time against 1,175 ms for the 38 INSERTs, `system.query_log`), and an hour settled now may be written
   * again. Reads stay exact meanwhile: they compute unsettled hours from the events.
   */
  private async settleQuiet(): Promise<void> {
    const recent = this.touched;
    this.touched = new Map();
    if (recent.size > 0 && ++this.postponedTicks < MAX_POSTPONED_TICKS) {
      for (const [scenario, hours] of recent) for (const h of hours) hoursOf(this.waiting, scenario).add(h);
      return;
    }
    this.postponedTicks = 0;
    const quiet = new Map<string, Set<number>>();
    for (const [scenario, hours] of this.waiting) {
      const again = recent.get(scenario);
      for (const h of hours) if (again?.has(h) !== true) hoursOf(quiet, scenario).add(h);
    }
    this.waiting = recent;
    await this.settle(quiet);
  }

  /** Settle every hour inserted into and not settled yet (at close). */
  private settleAll(): Promise<void> {
    const all = this.waiting;
    for (const [scenario, hours] of this.touched) for (const h of hours) hoursOf(all, scenario).add(h);
    this.waiting = new Map();
    this.touched = new Map();
    return this.settle(all);
  }

  private async settle(pairs: ReadonlyMap<string, ReadonlySet<number>>): Promise<void> {
    if (this.rollup === undefined || pairs.size === 0) return;
    try {
      await this.rollup.settle(pairs);
    } catch (err) {
      // Unsettled hours stay exact: reads compute them from the events.
      diag.debug(`ClickHouse rollup: settling failed: ${(err as Error).message}`);
    }
  }

  /**
   * `GET /readyz`: ready when ClickHouse answers `SELECT 1` within min(`TELEMETRY_CLICKHOUSE_TIMEOUT_MS`, 2 s) and
   * appends are not refused for a full insert queue; not ready once closed. One try, no retries.
   */
  async ready(): Promise<StoreReadiness> {
    if (this.closePromise !== undefined) return { ready: false, reason: 'the store is closed' };
    if (this.queuedRows > this.config.maxInsertRows * 2) return { ready: false, reason: `ClickHouse is behind: ${this.queuedRows} rows are waiting to be inserted` };
    try {
      await this.writer.http.rows('SELECT 1 AS ok FORMAT JSONEachRow', { timeoutMs: Math.min(this.config.timeoutMs, 2000) });
      return { ready: true };
    } catch (err) {
      // The message names ClickHouse's address: logged, not shown to whoever polls /readyz.
      diag.warn(`ClickHouse store not ready: ${(err as Error).message}`);
      return { ready: false, reason: 'ClickHouse does not answer (see the collector\'s diag log)' };
    }
  }

  /**
   * Group commit: one INSERT at a time, holding every append queued while the last one ran, and starting a turn of the
   * event loop after the append that woke it, so that the appends of that turn join it too: under load each INSERT is
   * as large as the appends in flight. Measured against starting the next INSERT before answering (so that ClickHouse writes one group while the
   * next is admitted, with groups of half the rows): that made twice the INSERTs (81 against 44 per 300k events), so
   * twice the parts, 40% more rows merged and ~30% more ClickHouse CPU per event — faster on tmpfs (1.06x), slower on
   * this VM's disk (0.88x, bench/clickhouse.mjs). ClickHouse wants few large inserts; this keeps them large.
   */
  private pump(): void {
    if (this.pumping !== undefined) return;
    this.pumping = (async () => {
      try {
        // Start on the next turn of the event loop, not at the first append: the appends whose uploads arrived in this
        // turn join the same INSERT (one INSERT of 1 upload then one of the rest made twice the INSERTs, and ~25% more
        // ClickHouse CPU per event, at the same ingest rate; measured at 300k events, 8 appends in flight).
        await new Promise<void>((r) => setImmediate(r));
        while (this.queue.length > 0) {
          const group: PendingAppend[] = [];
          let n = 0;
          while (this.queue.length > 0 && (group.length === 0 || n + this.queue[0]!.rows.length <= this.config.maxInsertRows)) {
            const next = this.queue.shift()!;
            n += next.rows.length;
            group.push(next);
          }
          this.queuedRows -= n;
          await this.commit(group);
        }
      } finally {
        this.pumping = undefined;
      }
    })();
  }

  /** One INSERT for a group of appends; settles each of them. Never throws. */
  private async commit(group: PendingAppend[]): Promise<void> {
    let rows: QueuedRow[] = [];
    /** The append of each row; undefined once a lookup found the row stored. */
    let owners: (PendingAppend | undefined)[] = [];
    const window = this.window;
    let groupRows = 0;
    for (const p of group) groupRows += p.rows.length;
    // Duplicates the window or the group itself shows. The window takes the group's client ids in as it checks them
    // (tryAdd: one lookup per id, instead of a check now, a check against the group's own ids and an add once the
    // INSERT landed), and gives them back if the INSERT fails (rollback). Only this commit changes the window while it
    // runs. Lookups sent from here until the INSERT is answered count additions from before it (windowAddsLanded),
    // since these rows land after them. A group larger than the window would push its own first ids out: it is checked
    // against the window and the group's own ids, and taken in once stored, as before.
    const takeIn = window.capacity > 0 && groupRows <= window.capacity;
    const seen = takeIn ? undefined : new SeenIds();
    if (takeIn) window.checkpoint();
    this.windowAddsLanded = this.windowAdds;
    /** Per append, the window's additions once its rows were checked (for its early lookup, below). */
    const checkedAt: number[] = [];
    for (const p of group) {
      for (const row of p.rows) {
        if (row.client) {
          if (seen === undefined ? !window.tryAdd(row.scenario, row.id) : isDuplicate(window, seen, row.scenario, row.id)) {
            p.result.duplicates++;
            continue;
          }
          if (seen === undefined) this.windowAdds++;
        }
        row.seq = this.seq.next();
        rows.push(row);
        owners.push(p);
      }
      checkedAt.push(this.windowAdds);
    }
    // The body is made while the early lookups are still on their way (they started a turn ago, earlyLookup.ts), so
    // that the collector makes it while ClickHouse looks the keys up instead of after; it is written again only when a
    // lookup found some of the rows stored (a retried upload). `seq` skips the rows left out: it only orders. With
    // every row of the group kept, in order, the block is the appends' runs joined (their columns were encoded as
    // they were admitted, native.ts: ~0.1 µs a row here against ~1.5 to encode the group's rows now, out of the CPU's
    // caches); else the rows kept are encoded anew.
    let body: Buffer | undefined;
    try {
      body = rows.length === 0 ? undefined : rows.length === groupRows && group.every((p) => p.run !== undefined) ? joinNative(group.map((p) => p.run!), rows) : encodeRowsNative(rows);
    } catch {
      // (Out of memory, say.) Written again inside the INSERT below, whose failure rejects the appends: commit never throws.
      body = undefined;
    }
    let dropped = 0;
    let index = 0;
    for (let g = 0; g < group.length; g++) {
      const p = group[g]!;
      // Mostly answered already (it ran beside the INSERT before); never rejects.
      const early = p.early === undefined ? undefined : await p.early;
      // It holds while every row inserted since it was sent was still in the window when the append's rows were checked
      // (additions since then, this group's own included, at most the window's capacity), and no INSERT failed since
      // (whose rows may be stored, in no window): earlyLookup.ts.
      const holds = early !== undefined && checkedAt[g]! - early.before.windowAdds <= window.capacity && this.failedInserts === early.before.failedInserts;
      for (; index < rows.length && owners[index] === p; index++) {
        const row = rows[index]!;
        if (!row.client || !holds) continue;
        if (early.found.size > 0 && early.found.has(rowKey(row.scenario, row.ts_ms, row.id))) {
          p.result.duplicates++;
          if (seen !== undefined) this.addToWindow(row);
          owners[index] = undefined;
          dropped++;
          continue;
        }
        row.checked = true;
      }
    }
    if (dropped > 0) {
      const keptRows: QueuedRow[] = [];
      const keptOwners: PendingAppend[] = [];
      for (let i = 0; i < rows.length; i++) {
        const owner = owners[i];
        if (owner === undefined) continue;
        keptRows.push(rows[i]!);
        keptOwners.push(owner);
      }
      rows = keptRows;
      owners = keptOwners;
      body = undefined;
    }
    try {
      const preexisting = await this.writer.insert(rows, { precheck: this.config.dedupCheck ? (r) => (r as QueuedRow).client && !(r as QueuedRow).checked : undefined, body });
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i]!;
        if (preexisting.size > 0 && preexisting.has(rowKey(r.scenario, r.ts_ms, r.id))) owners[i]!.result.duplicates++;
        else owners[i]!.result.stored++;
        if (r.client && seen !== undefined) this.addToWindow(r);
      }
      window.release();
      this.windowAddsLanded = undefined;
      for (const p of group) p.resolve(p.result);
      this.touch(rows);
    } catch (err) {
      // Rows of a failed INSERT may be stored or not: none stays in the window (a retry is looked up in the table).
      window.rollback();
      this.windowAddsLanded = undefined;
      this.failedInserts++;
      // Rows of a failed insert may be in the table without the view having counted them (it runs after the table
      // is written): move their hours' counters on, so that no settled hour hides them.
      if (this.rollup !== undefined) this.rollup.bump(rows).catch(() => undefined);
      const e = err instanceof StoreError ? err : new ClickHouseError(`inserting into ClickHouse failed: ${(err as Error).message}`, 0, false, undefined, { cause: err });
      diag.error(`ClickHouse store: ${e.message}`);
      for (const p of group) {
        for (const s of p.newScenarios) this.admission.forget(s);
        p.reject(e);
      }
    }
  }

  private addToWindow(row: EventRow): void {
    this.window.add(row.scenario, row.id);
    this.windowAdds++;
  }
}

/** The set of hours of `scenario` in a map of hours per scenario, made when missing. */
function hoursOf(map: Map<string, Set<number>>, scenario: string): Set<number> {
  let set = map.get(scenario);
  if (set === undefined) map.set(scenario, (set = new Set()));
  return set;
}
