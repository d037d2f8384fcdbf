import { diag } from '../../../core/diag.js';
import type { ClickHouseHttp, ExternalTable } from '../../../exporters/clickhouse/ClickHouseHttp.js';
import { withRetry, type RetryPolicy } from '../../../exporters/clickhouse/retry.js';
import { identifier, qualifiedName, type TableName } from '../../../exporters/clickhouse/schema.js';
import { parseTsv, tsvField } from '../../../exporters/clickhouse/tsv.js';
import { HourMemo } from './hourMemo.js';
import { HOUR_OF, SMALL_READ_SETTINGS } from './sql.js';

/**
 * The hourly rollup behind summaries and insights: exact numbers without reading every event, and still exact when a
 * duplicate row got in (two collectors racing on one event, see ClickHouseStore's de-duplication notes).
 *
 * Why not a plain SummingMergeTree of counts fed by a materialized view: the view sees every inserted row, so a racing
 * duplicate would be counted twice for ever (the events table collapses it when merging; the sums never do). And an
 * `uniqExactState` per hour keeps the rollup exact but reads slower than the events themselves on 18.16 (measured:
 * 330-420 ms to merge 1M states, README). So the work is split:
 *
 * - `<table>_hours` (SummingMergeTree, fed by the materialized view `<table>_hours_mv` on every INSERT into the events
 *   table, whoever sends it — collectors, the in-process exporter, an operator): rows ever inserted per (scenario,
 *   hour). It is only a change counter: it grows with every insert touching the hour, and nothing is read from it as a
 *   count, so duplicates, a backfill overlapping the view, or a bumped counter can never make an answer wrong.
 * - `<table>_settled` (ReplacingMergeTree(version)): per (scenario, hour, event, level) the exact numbers —
 *   `uniqExact(ts_ms, id)`, the rule the scans used — computed from the events table, stamped with the hour's counter
 *   as read *before* the events were read. Every row reaches the events table before the view adds it to the counter
 *   (ClickHouse writes the table, then its views), so settled numbers include at least every row the stamp counts.
 * - A read takes an hour's settled numbers while its counter still equals the stamp; an hour whose counter moved on
 *   (or that was never settled) is "dirty" and computed from the events on the spot (one indexed range read per
 *   scenario), and settled again. The store settles the hours it wrote to shortly after each insert, so reads
 *   rarely see a dirty hour. A crash anywhere leaves at worst a dirty hour: exact, just read from the events.
 *
 * Each settled hour also gets a row with event "" (no event has an empty name), so an hour whose events are gone
 * (retention) is still seen as settled.
 */
export const HOUR_MS = 3_600_000;

export interface RollupTables {
  /** Qualified names for SQL text. */
  readonly hours: string;
  readonly view: string;
  readonly settled: string;
  readonly events: string;
  /** Plain names (system.tables lookups). */
  readonly hoursName: string;
  readonly viewName: string;
  readonly settledName: string;
}

export function rollupTables(t: TableName): RollupTables {
  // The table name passed IDENTIFIER_PATTERN (at most 63 characters); a constant suffix keeps it an identifier.
  const names = { hoursName: `${t.table}_hours`, viewName: `${t.table}_hours_mv`, settledName: `${t.table}_settled` };
  const q = (name: string): string => `${identifier(t.database)}.\`${name}\``;
  identifier(t.table);
  return { ...names, hours: q(names.hoursName), view: q(names.viewName), settled: q(names.settledName), events: qualifiedName(t) };
}

/** The DDL the store runs at open when it creates the schema (and the README shows). */
export function rollupSchemaSql(r: RollupTables): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${r.hours} (\n    scenario String,\n    hour UInt32,\n    rows UInt64\n) ENGINE = SummingMergeTree\nORDER BY (scenario, hour)`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${r.view} TO ${r.hours}\nAS SELECT scenario, ${HOUR_OF} AS hour, count() AS rows FROM ${r.events} GROUP BY scenario, hour`,
    `CREATE TABLE IF NOT EXISTS ${r.settled} (\n    scenario String,\n    hour UInt32,\n    event String,\n    level String,\n    n UInt64,\n    last UInt64,\n    version UInt64\n) ENGINE = ReplacingMergeTree(version)\nORDER BY (scenario, hour, event, level)`,
  ];
}

/**
 * Retention for the rollup (like the events table's, retentionTtlSql; ClickHouse 19.6+): an hour's rows go one hour
 * after its newest event could.
 */
export function rollupTtlSql(r: RollupTables, days: number): string[] {
  const ttl = `MODIFY TTL toDateTime(hour * 3600 + 3600) + INTERVAL ${integer(days)} DAY`;
  return [`ALTER TABLE ${r.hours} ${ttl}`, `ALTER TABLE ${r.settled} ${ttl}`];
}

/** Marks a finished backfill in `<table>_hours` (no scenario is named ""). */
const BACKFILLED = "scenario = '' AND hour = 0";

/**
 * Make the rollup usable: with `create`, create its tables and view when missing and, when the counter has never been
 * filled from the events that were there before (a table of an earlier release, or a crash before the fill finished),
 * fill it (after the view exists, so no row is missed; counting a row twice only moves a counter) and mark that done.
 * Without `create` (operators own the DDL), use it only when all of it is there. Returns whether reads can use it.
 */
export async function ensureRollup(http: ClickHouseHttp, r: RollupTables, create: boolean, retentionDays = 0): Promise<boolean> {
  if (create) {
    for (const sql of rollupSchemaSql(r)) await http.exec(sql);
    if (retentionDays > 0) for (const sql of rollupTtlSql(r, retentionDays)) await http.exec(sql);
  } else {
    const found = await http.text(`SELECT count() FROM system.tables WHERE (database, name) IN (SELECT d, n FROM names) FORMAT TabSeparated`, {
      tables: [{ name: 'names', structure: 'd String, n String', tsv: [r.hoursName, r.viewName, r.settledName].map((n) => `${tsvField(databaseOf(r))}\t${n}\n`).join('') }],
    });
    if (Number(found.trim()) !== 3) return false;
  }
  const marked = Number((await http.text(`SELECT count() FROM ${r.hours} WHERE ${BACKFILLED} FORMAT TabSeparated`)).trim()) > 0;
  if (!marked) {
    if (!create) return false;
    await http.exec(`INSERT INTO ${r.hours} (scenario, hour, rows) SELECT scenario, ${HOUR_OF} AS hour, count() AS rows FROM ${r.events} GROUP BY scenario, hour`);
    await http.exec(`INSERT INTO ${r.hours} (scenario, hour, rows) VALUES ('', 0, 1)`);
  }
  return true;
}

function databaseOf(r: RollupTables): string {
  return r.events.slice(1, r.events.indexOf('`.`'));
}

/** One (event, level) group of an hour. */
export interface HourGroup {
  readonly event: string;
  readonly level: string;
  readonly n: number;
  /** Newest ts_ms of the group. */
  readonly last: number;
}

/** Exact groups per scenario and hour. */
export type ExactHours = Map<string, Map<number, HourGroup[]>>;

/** A scenario's summary numbers from the rollup. */
export interface ScenarioNumbers {
  total: number;
  /** Newest ts_ms. */
  last: number;
  /** Per failure event. */
  failureCounts: Map<string, number>;
  /** Failures per hour, for every hour holding failures. */
  failureHours: Map<number, number>;
  /** Every hour's counter as read by this call (what a cached answer about these hours is valid for). */
  counters: ReadonlyMap<number, number>;
}

const PAIRS_STRUCTURE = 's String, h UInt32';
const WANT_STRUCTURE = 's String, h UInt32, v UInt64';
const SCENARIO_STRUCTURE = 's String';

function integer(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`not a count: ${n}`);
  return String(n);
}

/** Hours further apart than this are read by separate range reads (a late event in an old hour). */
const MAX_GAP_HOURS = 24;

/**
 * The rollup's reads and its settling. `scenario` narrows every read to one scenario (through the primary keys).
 */
export class Rollup {
  readonly tables: RollupTables;
  private readonly http: ClickHouseHttp;
  private readonly policy: RetryPolicy;
  private readonly memo = new HourMemo();

  constructor(http: ClickHouseHttp, tables: RollupTables, policy: RetryPolicy) {
    this.http = http;
    this.tables = tables;
    this.policy = policy;
  }

  private read(what: string, sql: string, tables: ExternalTable[] = [], settings?: Readonly<Record<string, string>>): Promise<(string | null)[][]> {
    return withRetry(this.policy, `reading ${what}`, async (a) => parseTsv(await this.http.text(sql, { tables, settings, timeoutMs: a.timeoutMs, signal: a.signal })));
  }

  /**
   * Exact summary numbers per scenario (of one scenario). The hours' counters are read once per call (one small
   * statement over `<table>_hours`), and every judgement of validity is made against those values: an hour's exact
   * groups are taken from this process's memory when they were seen at the same counter (a settled hour at a given
   * counter never changes, so keeping it is exact — see `HourMemo`), else from the settled rows stamped with that
   * counter, else computed from the events (and settled). So a call at rest costs one round trip, however many hours
   * the scenarios span, and a write by anyone (another collector, the in-process exporter, an operator) moves the
   * counter of its hour and is read on the next call. (Before: one statement grouping the counters with the settled
   * rows read with FINAL, 28-40 ms at 1M events on 18.16, every call.)
   */
  async numbers(scenario: string | undefined, failureEvents: readonly string[]): Promise<Map<string, ScenarioNumbers>> {
    const counters = await this.counters(scenario);
    const exact = await this.exactHours(counters);
    const out = new Map<string, ScenarioNumbers>();
    const failureSet = new Set(failureEvents);
    for (const [name, hours] of exact) {
      const e: ScenarioNumbers = { total: 0, last: -1, failureCounts: new Map(), failureHours: new Map(), counters: counters.get(name) ?? new Map() };
      for (const [hour, groups] of hours) {
        let hourFailures = 0;
        for (const g of groups) {
          if (g.n === 0) continue;
          e.total += g.n;
          if (g.last > e.last) e.last = g.last;
          if (failureSet.has(g.event)) {
            e.failureCounts.set(g.event, (e.failureCounts.get(g.event) ?? 0) + g.n);
            hourFailures += g.n;
          }
        }
        if (hourFailures > 0) e.failureHours.set(hour, hourFailures);
      }
      if (e.total > 0) out.set(name, e);
    }
    return out;
  }

  /** The counter of every (scenario, hour) the view has seen (of one scenario). */
  async counters(scenario: string | undefined): Promise<Map<string, Map<number, number>>> {
    const scoped = scenario === undefined ? [] : [{ name: 'only', structure: SCENARIO_STRUCTURE, tsv: tsvField(scenario) + '\n' }];
    const where = scenario === undefined ? "scenario != ''" : 'scenario = (SELECT any(s) FROM only)';
    const rows = await this.read('the rollup', `SELECT scenario, hour, sum(rows) FROM ${this.tables.hours} WHERE ${where} GROUP BY scenario, hour FORMAT TabSeparated`, scoped, SMALL_READ_SETTINGS);
    const out = new Map<string, Map<number, number>>();
    for (const [s, h, v] of rows) {
      let hours = out.get(s!);
      if (hours === undefined) out.set(s!, (hours = new Map()));
      hours.set(Number(h), Number(v));
    }
    return out;
  }

  /**
   * The exact groups of these hours at these counters: from memory, from the settled rows stamped with the counter, or
   * computed from the events (then settled, best effort: failing only means computing it again).
   */
  private async exactHours(counters: ReadonlyMap<string, ReadonlyMap<number, number>>): Promise<ExactHours> {
    const out: ExactHours = new Map();
    const missing = new Map<string, Map<number, number>>();
    for (const [s, hours] of counters) {
      const into = new Map<number, HourGroup[]>();
      out.set(s, into);
      for (const [h, v] of hours) {
        const known = this.memo.get(s, h, v);
        if (known !== undefined) into.set(h, known);
        else {
          let m = missing.get(s);
          if (m === undefined) missing.set(s, (m = new Map()));
          m.set(h, v);
        }
      }
    }
    if (missing.size === 0) return out;
    const settled = await this.settledAt(missing);
    const dirty = new Map<string, Map<number, number>>();
    for (const [s, hours] of missing) {
      for (const [h, v] of hours) {
        const groups = settled.get(s)?.get(h);
        if (groups !== undefined) {
          out.get(s)!.set(h, groups);
          this.memo.set(s, h, v, groups);
        } else {
          let d = dirty.get(s);
          if (d === undefined) dirty.set(s, (d = new Map()));
          d.set(h, v);
        }
      }
    }
    if (dirty.size > 0) {
      const fresh = await this.compute(dirty);
      for (const [s, hours] of fresh) {
        for (const [h, groups] of hours) {
          out.get(s)!.set(h, groups);
          // Remembered at the counter read before computing, by the rule the settled table's stamps follow.
          const v = dirty.get(s)?.get(h);
          if (v !== undefined) this.memo.set(s, h, v, groups);
        }
      }
      this.store(dirty, fresh).catch((err: Error) => diag.debug(`ClickHouse rollup: settling failed: ${err.message}`));
    }
    return out;
  }

  /**
   * The settled groups of these hours stamped with exactly these counters (an hour without its "" row at that counter
   * is not settled at it, and is absent). Two stores settling one hour at one counter write the same groups, so copies
   * are dropped by (event, level).
   */
  private async settledAt(hours: ReadonlyMap<string, ReadonlyMap<number, number>>): Promise<ExactHours> {
    let tsv = '';
    for (const [s, byHour] of hours) {
      const f = tsvField(s);
      for (const [h, v] of byHour) tsv += f + '\t' + h + '\t' + v + '\n';
    }
    const rows = await this.read(
      'the rollup',
      `SELECT scenario, hour, event, level, n, last FROM ${this.tables.settled} WHERE (scenario, hour, version) IN (SELECT s, h, v FROM want) FORMAT TabSeparated`,
      [{ name: 'want', structure: WANT_STRUCTURE, tsv }],
      SMALL_READ_SETTINGS,
    );
    const found = new Map<string, Map<number, Map<string, HourGroup>>>();
    const settledHours = new Set<string>();
    for (const [s, h, event, level, n, last] of rows) {
      if (event === '') {
        settledHours.add(s + '\t' + h);
        continue;
      }
      let byHour = found.get(s!);
      if (byHour === undefined) found.set(s!, (byHour = new Map()));
      let groups = byHour.get(Number(h));
      if (groups === undefined) byHour.set(Number(h), (groups = new Map()));
      groups.set(event + '\t' + level, { event: event!, level: level!, n: Number(n), last: Number(last) });
    }
    const out: ExactHours = new Map();
    for (const [s, byHour] of hours) {
      for (const h of byHour.keys()) {
        if (!settledHours.has(s + '\t' + h)) continue;
        let into = out.get(s);
        if (into === undefined) out.set(s, (into = new Map()));
        into.set(h, [...(found.get(s)?.get(h)?.values() ?? [])]);
      }
    }
    return out;
  }

  /** Settle these hours (the store calls it shortly after its inserts): read their counters, then compute and store. */
  async settle(pairs: ReadonlyMap<string, ReadonlySet<number>>): Promise<void> {
    if (pairs.size === 0) return;
    let tsv = '';
    for (const [s, hours] of pairs) for (const h of hours) tsv += tsvField(s) + '\t' + h + '\n';
    const counters = await this.read('the rollup', `SELECT scenario, hour, sum(rows) FROM ${this.tables.hours} WHERE (scenario, hour) IN (SELECT s, h FROM pairs) GROUP BY scenario, hour FORMAT TabSeparated`, [
      { name: 'pairs', structure: PAIRS_STRUCTURE, tsv },
    ]);
    const versions = new Map<string, Map<number, number>>();
    for (const [s, h, rows] of counters) {
      let hours = versions.get(s!);
      if (hours === undefined) versions.set(s!, (hours = new Map()));
      hours.set(Number(h), Number(rows));
    }
    if (versions.size > 0) await this.store(versions, await this.compute(versions));
  }

  /** Move the counters of these rows' hours on (after a failed insert: its rows may be stored, uncounted). */
  async bump(rows: readonly { scenario: string; ts_ms: number }[]): Promise<void> {
    const seen = new Set<string>();
    let tsv = '';
    for (const r of rows) {
      const line = tsvField(r.scenario) + '\t' + Math.floor(r.ts_ms / HOUR_MS) + '\t1\n';
      if (seen.has(line)) continue;
      seen.add(line);
      tsv += line;
    }
    if (tsv !== '') await this.http.exec(`INSERT INTO ${this.tables.hours} (scenario, hour, rows) FORMAT TabSeparated`, { body: tsv });
  }

  /** Exact groups of the given hours, from the events: one range read per scenario and run of nearby hours. */
  private async compute(hours: ReadonlyMap<string, ReadonlyMap<number, number>>): Promise<ExactHours> {
    const reads: Promise<void>[] = [];
    const out: ExactHours = new Map();
    const sql =
      `SELECT ${HOUR_OF} AS hour, event, level, uniqExact(ts_ms, id), max(ts_ms) FROM ${this.tables.events} ` +
      'PREWHERE scenario = (SELECT any(s) FROM pairs) AND ts_ms >= (SELECT min(h) FROM pairs) * 3600000 AND ts_ms < (SELECT max(h) + 1 FROM pairs) * 3600000 ' +
      'WHERE hour IN (SELECT h FROM pairs) GROUP BY hour, event, level FORMAT TabSeparated';
    for (const [s, byHour] of hours) {
      const into = new Map<number, HourGroup[]>();
      for (const h of byHour.keys()) into.set(h, []);
      out.set(s, into);
      const sorted = [...byHour.keys()].sort((a, b) => a - b);
      let run: number[] = [];
      const flush = (list: number[]): void => {
        const tsv = list.map((h) => tsvField(s) + '\t' + h + '\n').join('');
        reads.push(
          this.read('events of dirty hours', sql, [{ name: 'pairs', structure: PAIRS_STRUCTURE, tsv }]).then((rows) => {
            for (const [h, event, level, n, last] of rows) into.get(Number(h))?.push({ event: event!, level: level!, n: Number(n), last: Number(last) });
          }),
        );
      };
      for (const h of sorted) {
        if (run.length > 0 && h - run[run.length - 1]! > MAX_GAP_HOURS) {
          flush(run);
          run = [];
        }
        run.push(h);
      }
      if (run.length > 0) flush(run);
    }
    await Promise.all(reads);
    return out;
  }

  /** Write computed hours into the settled table, stamped with the counters read before computing them. */
  private async store(versions: ReadonlyMap<string, ReadonlyMap<number, number>>, exact: ExactHours): Promise<void> {
    let tsv = '';
    for (const [s, hours] of exact) {
      const f = tsvField(s);
      for (const [h, groups] of hours) {
        const v = versions.get(s)?.get(h);
        if (v === undefined) continue;
        tsv += `${f}\t${h}\t\t\t0\t0\t${v}\n`;
        for (const g of groups) tsv += `${f}\t${h}\t${tsvField(g.event)}\t${tsvField(g.level)}\t${g.n}\t${g.last}\t${v}\n`;
      }
    }
    if (tsv === '') return;
    await withRetry(this.policy, 'settling the rollup', (a) =>
      this.http.exec(`INSERT INTO ${this.tables.settled} (scenario, hour, event, level, n, last, version) FORMAT TabSeparated`, { body: tsv, timeoutMs: a.timeoutMs, signal: a.signal }),
    );
  }
}
