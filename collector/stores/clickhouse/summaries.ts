import type { ClickHouseHttp, ExternalTable } from '../../../exporters/clickhouse/ClickHouseHttp.js';
import { withRetry, type RetryPolicy } from '../../../exporters/clickhouse/retry.js';
import { isoFromMs } from '../../../exporters/clickhouse/rows.js';
import { DEFAULT_FAILURE_EVENTS } from '../../../core/record.js';
import { MAX_FAILURE_DETAILS_CHARS } from '../SummaryBook.js';
import type { RecentFailure, ScenarioSummary } from '../TelemetryStore.js';
import { HOUR_MS, type Rollup } from './rollup.js';
import { SMALL_READ_SETTINGS, FAILURES_STRUCTURE, KEYS_STRUCTURE, PARAMS_STRUCTURE, RANGES_STRUCTURE, type StoreSql } from './sql.js';

export interface SummaryQueryOptions {
  failureEvents: readonly string[] | undefined;
  recentFailures: number;
}

interface Totals {
  scenario: string;
  total: string;
  last: string;
}
interface Count {
  scenario: string;
  event: string;
  n: string;
}
interface Recent {
  scenario: string;
  ts_ms: string;
  event: string;
  details: string;
}

/**
 * The summaries `GET /api/v1/telemetry` shows, computed by ClickHouse (three reads, run together): totals and newest
 * time per scenario, counts per failure event, the newest failures. Shaped and ordered exactly as the JSONL store's
 * SummaryBook renders them (scenarios and failure_counts keys sorted by JS string order, recent newest first).
 * `scenario` narrows everything to one scenario (through the primary key).
 */
export async function readSummaries(http: ClickHouseHttp, sql: StoreSql, policy: RetryPolicy, options: SummaryQueryOptions, scenario: string | undefined, rollup?: Rollup): Promise<ScenarioSummary[]> {
  if (rollup !== undefined) return fromRollup(http, sql, policy, options, scenario, rollup);
  const scoped = scenario !== undefined;
  const failures = options.failureEvents ?? DEFAULT_FAILURE_EVENTS;
  const params: ExternalTable = { name: 'params', structure: PARAMS_STRUCTURE, rows: [{ s: scenario ?? '', e: '', since: 0, until: 0 }] };
  const failureTable: ExternalTable = { name: 'failures', structure: FAILURES_STRUCTURE, rows: failures.map((e) => ({ e })) };
  const base = scoped ? [params] : [];
  const read = <T>(what: string, text: string, tables: ExternalTable[]): Promise<T[]> =>
    withRetry(policy, `reading ${what}`, (a) => http.rows<T>(text, { tables, settings: SMALL_READ_SETTINGS, timeoutMs: a.timeoutMs, signal: a.signal }));
  const wantFailures = failures.length > 0;
  const readRecent = async (): Promise<Recent[]> => {
    const keys = await read<{ scenario: string; ts_ms: string; id: string }>('recent failures', sql.recentFailureKeys(scoped, options.recentFailures), [...base, failureTable]);
    if (keys.length === 0) return [];
    const keyTable: ExternalTable = { name: 'keys', structure: KEYS_STRUCTURE, rows: keys.map((k) => ({ s: k.scenario, t: Number(k.ts_ms), i: k.id })) };
    return read<Recent>('recent failures', sql.recentFailureRows(), [keyTable]);
  };
  const [totals, counts, recent] = await Promise.all([
    read<Totals>('summaries', sql.totals(scoped), base),
    wantFailures ? read<Count>('failure counts', sql.failureCounts(scoped), [...base, failureTable]) : Promise.resolve([]),
    wantFailures && options.recentFailures > 0 ? readRecent() : Promise.resolve([]),
  ]);
  const countsBy = new Map<string, [string, number][]>();
  for (const c of counts) {
    let list = countsBy.get(c.scenario);
    if (list === undefined) countsBy.set(c.scenario, (list = []));
    list.push([c.event, Number(c.n)]);
  }
  const recentBy = new Map<string, RecentFailure[]>();
  for (const r of recent) {
    let list = recentBy.get(r.scenario);
    if (list === undefined) recentBy.set(r.scenario, (list = []));
    const timestamp = isoFromMs(Number(r.ts_ms));
    list.push(r.details === '' ? { timestamp, event: r.event } : { timestamp, event: r.event, details: summaryDetails(r.details) });
  }
  return totals
    .sort((a, b) => (a.scenario < b.scenario ? -1 : a.scenario > b.scenario ? 1 : 0))
    .map((t) => ({
      scenario: t.scenario,
      total_events: Number(t.total),
      last_event: isoFromMs(Number(t.last)),
      // fromEntries defines own data properties, so an event named "__proto__" stays a plain key.
      failure_counts: Object.fromEntries((countsBy.get(t.scenario) ?? []).sort((a, b) => (a[0] < b[0] ? -1 : 1))),
      recent_failures: recentBy.get(t.scenario) ?? [],
    }));
}

/**
 * The same summaries from the rollup (rollup.ts): totals, newest time and failure counts are sums over its exact hourly
 * groups; the newest failures are read from the events, but only from the newest hours that hold enough of them.
 */
async function fromRollup(http: ClickHouseHttp, sql: StoreSql, policy: RetryPolicy, options: SummaryQueryOptions, scenario: string | undefined, rollup: Rollup): Promise<ScenarioSummary[]> {
  const failureList = options.failureEvents ?? DEFAULT_FAILURE_EVENTS;
  const numbers = await rollup.numbers(scenario, failureList);
  const out: ScenarioSummary[] = [];
  const ranges: { s: string; since: number }[] = [];
  for (const [name, e] of numbers) {
    if (options.recentFailures > 0 && e.failureHours.size > 0) {
      // The newest hours that together hold the newest `recentFailures` failures.
      const hours = [...e.failureHours].sort((a, b) => b[0] - a[0]);
      let n = 0;
      let since = 0;
      for (const [hour, k] of hours) {
        n += k;
        since = hour * HOUR_MS;
        if (n >= options.recentFailures) break;
      }
      ranges.push({ s: name, since });
    }
    out.push({
      scenario: name,
      total_events: e.total,
      last_event: isoFromMs(e.last),
      failure_counts: Object.fromEntries([...e.failureCounts].sort((a, b) => (a[0] < b[0] ? -1 : 1))),
      recent_failures: [],
    });
  }
  out.sort((a, b) => (a.scenario < b.scenario ? -1 : a.scenario > b.scenario ? 1 : 0));
  if (ranges.length > 0) {
    // A scenario's newest failures depend only on the events of the hours from `since` on: while each of those hours
    // has the counter it had when they were read (any write moves its hour's counter), the answer is the same.
    const byName = new Map(out.map((o) => [o.scenario, o]));
    let memo = recentMemos.get(rollup);
    if (memo === undefined) recentMemos.set(rollup, (memo = new Map()));
    const keys = new Map<string, string>();
    const toRead: { s: string; since: number }[] = [];
    for (const r of ranges) {
      const hours = [...numbers.get(r.s)!.counters].filter(([h]) => h * HOUR_MS >= r.since).sort((a, b) => a[0] - b[0]);
      const key = `${r.since}|${hours.map(([h, v]) => `${h}:${v}`).join(',')}`;
      keys.set(r.s, key);
      const known = memo.get(r.s);
      if (known !== undefined && known.key === key) byName.get(r.s)?.recent_failures.push(...known.failures);
      else toRead.push(r);
    }
    if (toRead.length > 0) {
      const read = <T>(what: string, text: string, tables: ExternalTable[]): Promise<T[]> =>
        withRetry(policy, `reading ${what}`, (a) => http.rows<T>(text, { tables, settings: SMALL_READ_SETTINGS, timeoutMs: a.timeoutMs, signal: a.signal }));
      const failureTable: ExternalTable = { name: 'failures', structure: FAILURES_STRUCTURE, rows: failureList.map((e) => ({ e })) };
      const rangeTable: ExternalTable = { name: 'ranges', structure: RANGES_STRUCTURE, rows: toRead };
      // One statement: the keys of the newest failures (only from the hours that hold them) and their rows.
      const fresh = new Map<string, RecentFailure[]>(toRead.map((r) => [r.s, []]));
      for (const r of await read<Recent>('recent failures', sql.recentFailuresBounded(options.recentFailures), [failureTable, rangeTable])) {
        const timestamp = isoFromMs(Number(r.ts_ms));
        fresh.get(r.scenario)?.push(r.details === '' ? { timestamp, event: r.event } : { timestamp, event: r.event, details: summaryDetails(r.details) });
      }
      for (const [name, failures] of fresh) {
        byName.get(name)?.recent_failures.push(...failures);
        if (memo.size >= MAX_RECENT_MEMO) memo.clear();
        memo.set(name, { key: keys.get(name)!, failures });
      }
    }
  }
  return out;
}

/** Newest failures per scenario with the hours' counters they were read at (bounded: starts again empty when full). */
const recentMemos = new WeakMap<Rollup, Map<string, { key: string; failures: RecentFailure[] }>>();
const MAX_RECENT_MEMO = 10_000;

/** A failure's details as summaries show them: whole when small, else a marker — the JSONL store's rule (SummaryBook). */
function summaryDetails(text: string): Record<string, unknown> {
  // The stored text is JSON.stringify of the details, so its length is what SummaryBook measures.
  return text.length <= MAX_FAILURE_DETAILS_CHARS ? (JSON.parse(text) as Record<string, unknown>) : { _truncated: true, _chars: text.length };
}
