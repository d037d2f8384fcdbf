import type { ClickHouseHttp } from '../../../exporters/clickhouse/ClickHouseHttp.js';
import { withRetry, type RetryPolicy } from '../../../exporters/clickhouse/retry.js';
import { parseTsv } from '../../../exporters/clickhouse/tsv.js';
import { DEFAULT_FAILURE_EVENTS } from '../../../core/record.js';
import { levelOfEvent } from '../../../query/level.js';
import type { BucketTally, InstallationCounter } from '../../../query/insights/answer.js';
import { assembleAnswer, BUCKET_MS, bucketStarts, checkInsightsQuery, type InsightsAnswer, type InsightsQuery } from '../../../query/insights/index.js';
import { InstallationSet } from '../../../query/insights/installations.js';
import { EXACT_INSTALLATIONS_LIMIT, NO_GROUP } from '../../../query/insights/types.js';

/** Groupings answered in SQL; any other `by` is a details key (the store scans for it: 18.16 cannot parse JSON). */
export const SQL_GROUPINGS: ReadonlySet<string> = new Set(['event', 'level', 'deployment_id']);

const PARAMS = 's String, e String, f UInt64, t UInt64, first Int64, size UInt64';

/** An exact count within the limit, as InstallationSet reports it. */
function exactCount(count: number): InstallationCounter {
  return { count: () => ({ count, estimated: false }) };
}

/**
 * Insights in SQL (query/insights/types.ts rules), for `by` = event, level or deployment_id. Two reads of the
 * scenario's range through the primary key, run together:
 * - counts per (bucket, event, level[, deployment_id]) as `uniqExact(ts_ms, id)` — one per stored event, also while
 *   a duplicate row from racing collectors waits for a merge — from which the group (the level rule of query/level.ts
 *   is applied here, in one place) and the failures (the store's failure events) follow;
 * - distinct installations per bucket and over the range (`uniqExact`): within EXACT_INSTALLATIONS_LIMIT that is the
 *   answer; above it the reference's estimate is wanted, so then the distinct (bucket, installation_id) pairs are
 *   read and counted by the same InstallationSet the reference uses — identical to the JSONL store's.
 * The answer is assembled by the shared assembleAnswer (ranking, `other`, zeros).
 */
export async function sqlInsights(http: ClickHouseHttp, policy: RetryPolicy, events: string, q: InsightsQuery, failureEvents: readonly string[] | undefined): Promise<InsightsAnswer> {
  checkInsightsQuery(q);
  const starts = bucketStarts(q.from, q.to, q.bucket);
  const failures = new Set(failureEvents ?? DEFAULT_FAILURE_EVENTS);
  const tallies: BucketTally[] = starts.map(() => ({ counts: new Map<string, number>(), installations: exactCount(0), failures: 0 }));
  if (q.to > 0) {
    const params = { s: q.scenario, e: q.event ?? '', f: Math.max(0, Math.ceil(q.from)), t: Math.ceil(q.to), first: starts[0]!, size: BUCKET_MS[q.bucket] };
    const tables = [{ name: 'p', structure: PARAMS, rows: [params] }];
    const bucket = 'intDiv(toInt64(ts_ms) - (SELECT any(first) FROM p), (SELECT any(size) FROM p)) AS b';
    const range =
      'PREWHERE scenario = (SELECT any(s) FROM p) AND ts_ms >= (SELECT any(f) FROM p) AND ts_ms < (SELECT any(t) FROM p)' +
      (q.event !== undefined ? ' AND event = (SELECT any(e) FROM p)' : '');
    const byDeployment = q.by === 'deployment_id';
    const read = (sql: string): Promise<(string | null)[][]> =>
      withRetry(policy, 'reading insights', async (a) => parseTsv(await http.text(sql, { tables, timeoutMs: a.timeoutMs, signal: a.signal })));
    // Distinct installations per bucket and over the range, counted exactly in SQL.
    const [counts, distinct, distinctAll] = await Promise.all([
      read(`SELECT ${bucket}, event, level${byDeployment ? ', deployment_id' : ''}, uniqExact(ts_ms, id) FROM ${events} ${range} GROUP BY b, event, level${byDeployment ? ', deployment_id' : ''} FORMAT TabSeparated`),
      read(`SELECT ${bucket}, uniqExact(installation_id) FROM ${events} ${range} WHERE installation_id IS NOT NULL GROUP BY b FORMAT TabSeparated`),
      read(`SELECT uniqExact(installation_id) FROM ${events} ${range} WHERE installation_id IS NOT NULL FORMAT TabSeparated`),
    ]);
    for (const row of counts) {
      const tally = tallies[Number(row[0])];
      if (tally === undefined) continue;
      const event = row[1]!;
      const level = row[2]!;
      const n = Number(row[byDeployment ? 4 : 3]);
      const group = q.by === 'event' ? event : q.by === 'level' ? levelOfEvent(event, level === '' ? undefined : level) : (row[3] ?? NO_GROUP);
      tally.counts.set(group, (tally.counts.get(group) ?? 0) + n);
      if (failures.has(event)) tally.failures += n;
    }
    // Up to EXACT_INSTALLATIONS_LIMIT the exact count is the answer; a count above it is the reference's estimate,
    // so only then are the ids themselves read (for those buckets, or for the range) and fed to its InstallationSet.
    const over = new Map<number, InstallationSet>();
    for (const [b, n] of distinct) {
      const tally = tallies[Number(b)];
      if (tally === undefined) continue;
      if (Number(n) > EXACT_INSTALLATIONS_LIMIT) over.set(Number(b), (tally.installations = new InstallationSet()));
      else tally.installations = exactCount(Number(n));
    }
    const overall = Number(distinctAll[0]?.[0] ?? 0);
    if (over.size === 0 && overall <= EXACT_INSTALLATIONS_LIMIT) return assembleAnswer(q, starts, tallies, exactCount(overall));
    const all = new InstallationSet();
    for (const [b, id] of await read(`SELECT ${bucket}, installation_id FROM ${events} ${range} WHERE installation_id IS NOT NULL GROUP BY b, installation_id FORMAT TabSeparated`)) {
      if (id === null || id === undefined) continue;
      over.get(Number(b))?.add(id);
      all.add(id);
    }
    return assembleAnswer(q, starts, tallies, all);
  }
  return assembleAnswer(q, starts, tallies, exactCount(0));
}
