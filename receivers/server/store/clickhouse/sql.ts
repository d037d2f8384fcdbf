import { qualifiedName, type TableName } from '../../../../exporters/clickhouse/schema.js';

/**
 * The store's SQL. Only constants of this file, identifiers from validated configuration and integers from validated
 * configuration appear in the text; every value from an event or a request (scenario, event name, time bounds) and
 * the configured failure-event names arrive as external-data tables:
 *   params(s String, e String, since UInt64, until UInt64) — one row;
 *   failures(e String) — the failure events.
 *
 * Reads are exact even while duplicate rows wait for a merge: counts use `uniqExact(ts_ms, id)` (one per row key),
 * rows come from `FINAL` (merged on read).
 */
export const PARAMS_STRUCTURE = 's String, e String, since UInt64, until UInt64';
export const FAILURES_STRUCTURE = 'e String';

const SCENARIO_IS = 'scenario = (SELECT any(s) FROM params)';

export interface StoreSql {
  /** Per scenario: total_events and newest time. */
  totals(scoped: boolean): string;
  /** Per scenario and failure event: count. */
  failureCounts(scoped: boolean): string;
  /** Per scenario: the newest `limit` failures, newest first (ties: later stored first). */
  recentFailures(scoped: boolean, limit: number): string;
  query(filters: { since: boolean; until: boolean; event: boolean }): string;
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
  return {
    totals: (scoped) => `SELECT scenario, uniqExact(ts_ms, id) AS total, max(ts_ms) AS last FROM ${T}${scoped ? ` WHERE ${SCENARIO_IS}` : ''} GROUP BY scenario FORMAT JSONEachRow`,
    failureCounts: (scoped) =>
      `SELECT scenario, event, uniqExact(ts_ms, id) AS n FROM ${T} WHERE event IN (SELECT e FROM failures)${scoped ? ` AND ${SCENARIO_IS}` : ''} GROUP BY scenario, event FORMAT JSONEachRow`,
    // Two steps so that `details` is read for the chosen rows only: the keys of the newest failures first (FINAL:
    // one row per key), then those rows. GLOBAL: on a Distributed table the inner query runs once, across the
    // cluster, and its result goes to the shards (a plain IN would send the Distributed table's name to them).
    recentFailures: (scoped, limit) => {
      const and = scoped ? ` AND ${SCENARIO_IS}` : '';
      const newest = `SELECT scenario, ts_ms, id FROM ${T} FINAL WHERE event IN (SELECT e FROM failures)${and} ORDER BY scenario, ts_ms DESC, seq DESC LIMIT ${integer(limit)} BY scenario`;
      return `SELECT scenario, ts_ms, event, details FROM ${T} FINAL WHERE (scenario, ts_ms, id) GLOBAL IN (${newest})${and} ORDER BY scenario, ts_ms DESC, seq DESC FORMAT JSONEachRow`;
    },
    query: (f) =>
      `SELECT ts_ms, scenario, deployment_id, event, level, details, id FROM ${T} FINAL WHERE ${SCENARIO_IS}` +
      (f.since ? ' AND ts_ms >= (SELECT any(since) FROM params)' : '') +
      (f.until ? ' AND ts_ms < (SELECT any(until) FROM params)' : '') +
      (f.event ? ' AND event = (SELECT any(e) FROM params)' : '') +
      ' ORDER BY seq FORMAT JSONEachRow',
    scenarios: () => `SELECT scenario, max(seq) AS seq FROM ${T} GROUP BY scenario FORMAT JSONEachRow`,
    newestIds: (limit) => `SELECT scenario, id FROM ${T} ORDER BY seq DESC LIMIT ${integer(limit)} FORMAT JSONEachRow`,
  };
}
