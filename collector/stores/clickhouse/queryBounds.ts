import { diag } from '../../../core/diag.js';
import type { ClickHouseHttp } from '../../../exporters/clickhouse/ClickHouseHttp.js';
import { withRetry, type RetryPolicy } from '../../../exporters/clickhouse/retry.js';
import type { StoredRow } from '../../../exporters/clickhouse/rows.js';
import { parseTsv } from '../../../exporters/clickhouse/tsv.js';
import { HOUR_MS } from './rollup.js';
import { PAGE_STRUCTURE, SMALL_READ_SETTINGS, type StoreSql } from './sql.js';

/**
 * Query pages that read only the hours holding them, on one server (the rollup's case).
 *
 * Why: a page of a query is the next rows in stored order (`seq`), and `seq` is not in the table's sorting key
 * (scenario, ts_ms, id), so a page reads `event` and `seq` of the whole scenario (~245k rows at 1M events, 13-24 ms on
 * 18.16, which has neither skipping indexes nor reads in key order). Rows are stored soon after they happen, so the
 * lowest `seq`s of a scenario sit in few hours — if the page knew which, it would read those granules only.
 *
 * How, exactly:
 * - The bounds of a (scenario, event filter): per hour of `ts_ms`, the lowest and highest `seq` and the row count, read
 *   from the events (`hourBounds`), after the table's fingerprint (`fingerprint`: the newest block number or mutation
 *   version among its active parts, their count, rows and newest modification time). Block numbers only grow, so any
 *   INSERT or mutation since moves the fingerprint; a merge may move it too (only costing a fresh read). Bounds read
 *   after the fingerprint cover at least every row the fingerprint stands for.
 * - A page picks the hours whose rows can come next (highest `seq` past the page's start), in order of lowest `seq`,
 *   until the rows of those that lie wholly past the start (and inside the query's time bounds) make a page, plus
 *   every hour whose lowest `seq` is not past the highest `seq` of those; it reads all rows of those hours past the
 *   page's start, with the fingerprint as a column.
 * - The page is taken only if the fingerprint is the bounds' and the rows prove it whole: with at least `size` rows,
 *   every hour left out starts (lowest `seq`) after the page's last row, so no row left out comes before it; with
 *   fewer, no hour was left out. Copies of one event share its `ts_ms`, so its hour, so every copy is read and the
 *   newest decides the event's place (ClickHouseStore.queryPaged). Otherwise the store reads the page as before.
 * - Bounds are read in the background after a page read the whole scenario (and found rows), at most every
 *   `REFRESH_INTERVAL_MS` per key and one at a time: a query repeated at rest (a dashboard) reads few granules from its
 *   second or third call on; while writes go on, pages read as before plus at most one bounds read per key and
 *   interval.
 * A row inserted while a page is read may be in it or not, as with any read during a write.
 */

/** One hour of a key's bounds: its rows' lowest and highest `seq`, and how many rows it held. */
export interface HourBound {
  readonly hour: number;
  readonly lo: number;
  readonly hi: number;
  readonly rows: number;
}

export interface PageWindow {
  /** Only rows with ts_ms >= since (0: no bound). */
  readonly since: number;
  /** Only rows with ts_ms < until (0: no bound). */
  readonly until: number;
}

/** The hours a page reads, and the candidates it was chosen from (to check the page with). */
export interface PagePlan {
  readonly hours: readonly number[];
  readonly candidates: readonly HourBound[];
}

/** A page read this way reads at most this many rows (per the bounds); a larger one reads as before. */
export const MAX_BOUNDED_ROWS = 50_000;
/** Bounds of one key are read again at most this often. */
export const REFRESH_INTERVAL_MS = 5_000;
/** Hours held over all keys; when more would be held the cache starts again empty. */
export const MAX_CACHED_HOURS = 500_000;
/** Keys whose last bounds read is remembered (for REFRESH_INTERVAL_MS); when more, it starts again empty. */
const MAX_KEYS = 10_000;

/**
 * The hours for the page after `after` of `size` rows, from bounds sorted by `lo`; undefined when the page should read
 * the scenario instead (no candidate, or more than `maxRows` rows to read).
 */
export function planPage(bounds: readonly HourBound[], after: number, size: number, window: PageWindow, maxRows = MAX_BOUNDED_ROWS): PagePlan | undefined {
  const candidates = bounds.filter(
    (b) => b.hi > after && (window.since === 0 || (b.hour + 1) * HOUR_MS > window.since) && (window.until === 0 || b.hour * HOUR_MS < window.until),
  );
  if (candidates.length === 0) return undefined;
  // Rows that surely come after `after` and within the window: those of hours starting after it and wholly inside.
  let covered = 0;
  let highest = 0;
  for (const b of candidates) {
    if (b.lo > after && (window.since === 0 || b.hour * HOUR_MS >= window.since) && (window.until === 0 || (b.hour + 1) * HOUR_MS <= window.until)) covered += b.rows;
    if (b.hi > highest) highest = b.hi;
    if (covered >= size) break;
  }
  const hours: number[] = [];
  let rows = 0;
  for (const b of candidates) {
    if (b.lo > highest) continue;
    hours.push(b.hour);
    rows += b.rows;
  }
  if (rows > maxRows) return undefined;
  return { hours: hours.sort((a, b) => a - b), candidates };
}

/**
 * Whether the rows read for `plan` (their seqs, all past `after`) make the whole page: its boundary (the `size`-th
 * lowest seq, or Infinity when fewer rows came and the page ends the query), or undefined when an hour left out could
 * hold an earlier row.
 */
export function pageBoundary(plan: PagePlan, seqs: readonly number[], size: number): { full: boolean; boundary: number } | undefined {
  const read = new Set(plan.hours);
  if (seqs.length >= size) {
    const boundary = [...seqs].sort((a, b) => a - b)[size - 1]!;
    for (const b of plan.candidates) if (!read.has(b.hour) && b.lo <= boundary) return undefined;
    return { full: true, boundary };
  }
  for (const b of plan.candidates) if (!read.has(b.hour)) return undefined;
  return { full: false, boundary: Number.POSITIVE_INFINITY };
}

interface Entry {
  readonly fingerprint: string;
  /** Sorted by lo. */
  readonly bounds: readonly HourBound[];
}

export interface PageParams {
  readonly s: string;
  readonly e: string;
  readonly since: number;
  readonly until: number;
}

export interface PageFilters {
  readonly since: boolean;
  readonly until: boolean;
  readonly event: boolean;
}

type FingerprintedRow = StoredRow & { seq: string; fp: string };

/** The bounds cache and the pages read through it, for one store. */
export class QueryBounds {
  private readonly entries = new Map<string, Entry>();
  private cachedHours = 0;
  private readonly lastRefresh = new Map<string, number>();
  /** The bounds read in flight (one at a time, over all keys). */
  private refreshing: Promise<void> | undefined;
  /** Pages answered from bounds, pages that read the scenario, and bounds reads started (tests, README figures). */
  readonly counts = { boundedPages: 0, wholePages: 0, boundsReads: 0 };

  constructor(
    private readonly http: ClickHouseHttp,
    private readonly sql: StoreSql,
    private readonly policy: RetryPolicy,
  ) {}

  /** The page read through the bounds, or undefined when it must be read from the whole scenario. */
  async page(params: PageParams, filters: PageFilters, after: number, size: number): Promise<{ rows: (StoredRow & { seq: string })[]; full: boolean; boundary: number } | undefined> {
    const key = keyOf(params, filters);
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    const window = { since: filters.since ? params.since : 0, until: filters.until ? params.until : 0 };
    const plan = planPage(entry.bounds, after, size, window);
    if (plan === undefined) return undefined;
    const tables = [
      { name: 'page', structure: PAGE_STRUCTURE, rows: [{ ...params, after }] },
      { name: 'hours', structure: 'h UInt32', tsv: plan.hours.join('\n') + '\n' },
    ];
    let rows: FingerprintedRow[];
    try {
      rows = await withRetry(this.policy, 'reading events', (a) =>
        this.http.rows<FingerprintedRow>(this.sql.pageRowsInHours(filters), { tables, settings: SMALL_READ_SETTINGS, timeoutMs: a.timeoutMs, signal: a.signal }),
      );
    } catch (err) {
      // The page is read as before, which reports an error that is not this statement's own.
      diag.debug(`ClickHouse store: a query page over its hours failed: ${(err as Error).message}`);
      this.forget(key);
      return undefined;
    }
    // No row: nothing proves the fingerprint, so the page is read as before.
    if (rows.length === 0) return undefined;
    if (rows[0]!.fp !== entry.fingerprint) {
      this.forget(key);
      return undefined;
    }
    // All rows are past `after` (the statement says so); kept as a guard, since a boundary not past `after` would
    // have the query read the same page for ever.
    const seqs = rows.map((r) => Number(r.seq)).filter((q) => q > after);
    const found = pageBoundary(plan, seqs, size);
    if (found === undefined) return undefined;
    this.counts.boundedPages++;
    return { rows, ...found };
  }

  /**
   * A page read the whole scenario and found `rows` rows: read the key's bounds in the background — when it found any
   * (no bounds make an empty answer cheaper), at most every REFRESH_INTERVAL_MS per key and one read at a time (a
   * stream of queries for ever new event names costs at most one extra read in flight).
   */
  wholeRead(params: PageParams, filters: PageFilters, rows: number): void {
    this.counts.wholePages++;
    if (rows === 0 || this.refreshing !== undefined) return;
    const key = keyOf(params, filters);
    const now = Date.now();
    if (now - (this.lastRefresh.get(key) ?? -Infinity) < REFRESH_INTERVAL_MS) return;
    if (this.lastRefresh.size >= MAX_KEYS) this.lastRefresh.clear();
    this.lastRefresh.set(key, now);
    this.counts.boundsReads++;
    this.refreshing = this.refresh(key, params, filters)
      .catch((err: Error) => diag.debug(`ClickHouse store: reading query bounds failed: ${err.message}`))
      .finally(() => (this.refreshing = undefined));
  }

  /** Waits for the bounds read in flight, if any (close). */
  async idle(): Promise<void> {
    await this.refreshing;
  }

  private async refresh(key: string, params: PageParams, filters: PageFilters): Promise<void> {
    const opts = { settings: SMALL_READ_SETTINGS };
    // The fingerprint first: bounds read after it cover every row it stands for.
    const fingerprint = (await this.http.text(this.sql.fingerprint(), opts)).trim();
    const text = await this.http.text(this.sql.hourBounds(filters.event), { ...opts, tables: [{ name: 'page', structure: PAGE_STRUCTURE, rows: [{ ...params, after: 0 }] }] });
    const bounds: HourBound[] = parseTsv(text).map(([h, lo, hi, n]) => ({ hour: Number(h), lo: Number(lo), hi: Number(hi), rows: Number(n) }));
    bounds.sort((a, b) => a.lo - b.lo);
    this.forget(key);
    if (this.cachedHours + bounds.length > MAX_CACHED_HOURS) {
      this.entries.clear();
      this.cachedHours = 0;
    }
    this.entries.set(key, { fingerprint, bounds });
    this.cachedHours += bounds.length;
  }

  private forget(key: string): void {
    const old = this.entries.get(key);
    if (old === undefined) return;
    this.entries.delete(key);
    this.cachedHours -= old.bounds.length;
  }
}

function keyOf(params: PageParams, filters: PageFilters): string {
  return filters.event ? `e${params.s}\n${params.e}` : `*${params.s}`;
}
