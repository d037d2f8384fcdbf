import { qualifiedName, type TableName } from '../../../exporters/clickhouse/schema.js';

/**
 * The store's SQL. Only constants of this file, identifiers from validated configuration and integers from validated
 * configuration appear in the text; every value from an event or a request (scenario, event name, time bounds) and
 * the configured failure-event names arrive as external-data tables:
 *   params(s String, e String, since UInt64, until UInt64) — one row;
 *   failures(e String) — the failure events;
 *   keys(s String, t UInt64, i String) — row keys found by a first statement.
 *
 * Reads are exact even while duplicate rows wait for a merge: counts use `uniqExact(ts_ms, id)` (one per row key),
 * rows come from `FINAL` (merged on read).
 */
export const PARAMS_STRUCTURE = 's String, e String, since UInt64, until UInt64';
export const FAILURES_STRUCTURE = 'e String';
export const KEYS_STRUCTURE = 's String, t UInt64, i String';
export const RANGES_STRUCTURE = 's String, since UInt64';
/** A page of a query: PARAMS plus the `seq` it continues after. */
export const PAGE_STRUCTURE = 's String, e String, since UInt64, until UInt64, after UInt64';
/** (scenario, ts_ms) of the rows a page needs. */
export const STAMPS_STRUCTURE = 's String, t UInt64';

/**
 * Settings of the store's small reads (summaries, recent failures, query pages): ClickHouse's cache of decompressed
 * blocks (`use_uncompressed_cache`, off by default; the stock config gives it 8 GiB) keeps the few granules these
 * reads touch, so a repeated read skips decompressing them — measured on 18.16 at 1M events: the recent-failures
 * statement 10 -> 7 ms, a query page 23 -> 13 ms (fastest of 25). Only reads of at most
 * `merge_tree_max_rows_to_use_cache` rows (1M by default) use the cache, so scans do not flush it.
 */
export const SMALL_READ_SETTINGS: Readonly<Record<string, string>> = { use_uncompressed_cache: '1' };

/** The hour of a row (hours since the epoch), as the rollup and the query bounds group rows. */
export const HOUR_OF = 'toUInt32(intDiv(ts_ms, 3600000))';

const SCENARIO_IS = 'scenario = (SELECT any(s) FROM params)';

export interface StoreSql {
  /** Per scenario: total_events and newest time. */
  totals(scoped: boolean): string;
  /** Per scenario and failure event: count. */
  failureCounts(scoped: boolean): string;
  /**
   * Per scenario: the keys of the newest `limit` failures. `bounded`: only scenarios of the external table
   * `ranges(s String, since UInt64)` and times from its smallest `since` (the rollup knows which hours hold them).
   */
  recentFailureKeys(scoped: boolean, limit: number, bounded?: boolean): string;
  /** The rows of those keys (external table `keys`), per scenario newest first (ties: later stored first). */
  recentFailureRows(): string;
  /**
   * Both steps in one statement (bounded by `ranges`, as recentFailureKeys): the keys as a subquery. Only for a table
   * on one server (the rollup's case): a Distributed table would need GLOBAL IN for it.
   */
  recentFailuresBounded(limit: number): string;
  query(filters: { since: boolean; until: boolean; event: boolean }): string;
  /**
   * A page of a limited query (external table `page`): the (ts_ms, seq) of the first `limit` rows in stored order after
   * `after`. Narrow columns only; the rows themselves come from `pageRows`.
   */
  pageStamps(filters: { since: boolean; until: boolean; event: boolean }, limit: number): string;
  /** Every stored copy of the rows at the (scenario, ts_ms) of external table `stamps` (with the event filter of `page`). */
  pageRows(event: boolean): string;
  /**
   * Both steps of a page in one statement (one round trip): every stored copy at the times of the page's stamps, the
   * stamps as a subquery. Only for a table on one server (the rollup's case, as recentFailuresBounded).
   */
  pageRowsBounded(filters: { since: boolean; until: boolean; event: boolean }, limit: number): string;
  /**
   * The table's fingerprint (one String): the newest block number or mutation version among its active parts, their
   * count, rows and newest modification time. Any INSERT or mutation moves it (block numbers only grow); see
   * queryBounds.ts.
   */
  fingerprint(): string;
  /** Per hour of ts_ms: lowest and highest seq and rows, of the scenario (and event) of external table `page`. */
  hourBounds(event: boolean): string;
  /**
   * Every row past `after` in the hours of external table `hours(h UInt32)` (with the filters of `page`), with the
   * fingerprint as column `fp`. Only for a table on one server (queryBounds.ts).
   */
  pageRowsInHours(filters: { since: boolean; until: boolean; event: boolean }): string;
  /** Scenarios with their largest seq (open: scenario limit, sequence floor). */
  scenarios(): string;
  /** The newest `limit` (scenario, id) pairs (open: the de-duplication window, when the check is off). */
  newestIds(limit: number): string;
}

function integer(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`not a count: ${n}`);
  return String(n);
}

export function storeSql(t: TableName): StoreSql {
  const T = qualifiedName(t);
  // Names held to IDENTIFIER_PATTERN by qualifiedName above, so they are safe inside quotes.
  const parts = `FROM system.parts WHERE database = '${t.database}' AND table = '${t.table}' AND active`;
  const FINGERPRINT =
    `(SELECT concat(toString(max(greatest(max_block_number, toInt64(data_version)))), ':', toString(count()), ':', toString(sum(rows)), ':', toString(max(modification_time))) ${parts})`;
  return {
    totals: (scoped) => `SELECT scenario, uniqExact(ts_ms, id) AS total, max(ts_ms) AS last FROM ${T}${scoped ? ` WHERE ${SCENARIO_IS}` : ''} GROUP BY scenario FORMAT JSONEachRow`,
    failureCounts: (scoped) =>
      `SELECT scenario, event, uniqExact(ts_ms, id) AS n FROM ${T} WHERE event IN (SELECT e FROM failures)${scoped ? ` AND ${SCENARIO_IS}` : ''} GROUP BY scenario, event FORMAT JSONEachRow`,
    // Recent failures take two statements, so that only failure rows are grouped and `details` is read for the
    // chosen rows only. 1: the keys of the newest failures (grouped by key: one per stored event; among copies the
    // latest stored wins, as in FINAL). 2: those rows, found through the primary key with the keys sent back as an
    // external table — which also works on a Distributed table, where the keys go to every shard (a subquery would
    // need GLOBAL IN, which ClickHouse 18.16 cannot answer from the index: a full scan).
    recentFailureKeys: (scoped, limit, bounded) =>
      `SELECT scenario, ts_ms, id FROM (SELECT scenario, ts_ms, id, max(seq) AS s FROM ${T} WHERE event IN (SELECT e FROM failures)${scoped ? ` AND ${SCENARIO_IS}` : ''}` +
      (bounded === true ? ' AND scenario IN (SELECT s FROM ranges) AND ts_ms >= (SELECT min(since) FROM ranges) ' : ' ') +
      `GROUP BY scenario, ts_ms, id ORDER BY scenario, ts_ms DESC, s DESC LIMIT ${integer(limit)} BY scenario) FORMAT JSONEachRow`,
    recentFailuresBounded: (limit) =>
      `SELECT scenario, ts_ms, event, details, seq FROM ${T} WHERE (scenario, ts_ms, id) IN (SELECT scenario, ts_ms, id FROM (SELECT scenario, ts_ms, id, max(seq) AS s FROM ${T} ` +
      'WHERE event IN (SELECT e FROM failures) AND scenario IN (SELECT s FROM ranges) AND ts_ms >= (SELECT min(since) FROM ranges) ' +
      `GROUP BY scenario, ts_ms, id ORDER BY scenario, ts_ms DESC, s DESC LIMIT ${integer(limit)} BY scenario)) ` +
      'ORDER BY scenario, ts_ms DESC, seq DESC LIMIT 1 BY scenario, ts_ms, id FORMAT JSONEachRow',
    recentFailureRows: () =>
      `SELECT scenario, ts_ms, event, details, seq FROM ${T} WHERE (scenario, ts_ms, id) IN (SELECT s, t, i FROM keys) ` +
      'ORDER BY scenario, ts_ms DESC, seq DESC LIMIT 1 BY scenario, ts_ms, id FORMAT JSONEachRow',
    query: (f) =>
      `SELECT ts_ms, scenario, deployment_id, installation_id, event, level, details, id FROM ${T} FINAL WHERE ${SCENARIO_IS}` +
      (f.since ? ' AND ts_ms >= (SELECT any(since) FROM params)' : '') +
      (f.until ? ' AND ts_ms < (SELECT any(until) FROM params)' : '') +
      (f.event ? ' AND event = (SELECT any(e) FROM params)' : '') +
      ' ORDER BY seq FORMAT JSONEachRow',
    pageStamps: (f, limit) =>
      `SELECT ts_ms, seq FROM ${T} PREWHERE scenario = (SELECT any(s) FROM page)` +
      (f.event ? ' AND event = (SELECT any(e) FROM page)' : '') +
      ' WHERE seq > (SELECT any(after) FROM page)' +
      (f.since ? ' AND ts_ms >= (SELECT any(since) FROM page)' : '') +
      (f.until ? ' AND ts_ms < (SELECT any(until) FROM page)' : '') +
      ` ORDER BY seq LIMIT ${integer(limit)} FORMAT TabSeparated`,
    pageRows: (event) =>
      `SELECT ts_ms, scenario, deployment_id, installation_id, event, level, details, id, seq FROM ${T} WHERE (scenario, ts_ms) IN (SELECT s, t FROM stamps)` +
      (event ? ' AND event = (SELECT any(e) FROM page)' : '') +
      ' FORMAT JSONEachRow',
    pageRowsBounded: (f, limit) =>
      `SELECT ts_ms, scenario, deployment_id, installation_id, event, level, details, id, seq FROM ${T} WHERE (scenario, ts_ms) IN (` +
      `SELECT scenario, ts_ms FROM ${T} PREWHERE scenario = (SELECT any(s) FROM page)` +
      (f.event ? ' AND event = (SELECT any(e) FROM page)' : '') +
      ' WHERE seq > (SELECT any(after) FROM page)' +
      (f.since ? ' AND ts_ms >= (SELECT any(since) FROM page)' : '') +
      (f.until ? ' AND ts_ms < (SELECT any(until) FROM page)' : '') +
      ` ORDER BY seq LIMIT ${integer(limit)})` +
      (f.event ? ' AND event = (SELECT any(e) FROM page)' : '') +
      ' FORMAT JSONEachRow',
    fingerprint: () => `SELECT ${FINGERPRINT} FORMAT TabSeparated`,
    hourBounds: (event) =>
      `SELECT ${HOUR_OF} AS h, min(seq), max(seq), count() FROM ${T} PREWHERE scenario = (SELECT any(s) FROM page)` +
      (event ? ' AND event = (SELECT any(e) FROM page)' : '') +
      ' GROUP BY h FORMAT TabSeparated',
    pageRowsInHours: (f) =>
      `SELECT ts_ms, scenario, deployment_id, installation_id, event, level, details, id, seq, ${FINGERPRINT} AS fp FROM ${T} ` +
      'PREWHERE scenario = (SELECT any(s) FROM page) AND ts_ms >= (SELECT min(h) FROM hours) * 3600000 AND ts_ms < (SELECT max(h) + 1 FROM hours) * 3600000' +
      (f.event ? ' AND event = (SELECT any(e) FROM page)' : '') +
      ` WHERE ${HOUR_OF} IN (SELECT h FROM hours) AND seq > (SELECT any(after) FROM page)` +
      (f.since ? ' AND ts_ms >= (SELECT any(since) FROM page)' : '') +
      (f.until ? ' AND ts_ms < (SELECT any(until) FROM page)' : '') +
      ' FORMAT JSONEachRow',
    scenarios: () => `SELECT scenario, max(seq) AS seq FROM ${T} GROUP BY scenario FORMAT JSONEachRow`,
    newestIds: (limit) => `SELECT scenario, id FROM ${T} ORDER BY seq DESC LIMIT ${integer(limit)} FORMAT JSONEachRow`,
  };
}
