import type { ClickHouseHttp } from '../../../exporters/clickhouse/ClickHouseHttp.js';
import { withRetry, type RetryPolicy } from '../../../exporters/clickhouse/retry.js';
import { parseTsv } from '../../../exporters/clickhouse/tsv.js';
import { DEFAULT_FAILURE_EVENTS } from '../../../core/record.js';
import { levelOfEvent } from '../../../query/level.js';
import { assembleAnswer, BUCKET_MS, bucketStarts, checkInsightsQuery, type InsightsAnswer, type InsightsQuery } from '../../../query/insights/index.js';
import { InstallationSet } from '../../../query/insights/installations.js';
import { NO_GROUP } from '../../../query/insights/types.js';

/** Groupings answered in SQL; any other `by` is a details key (the store scans for it: 18.16 cannot parse JSON). */
export const SQL_GROUPINGS: ReadonlySet<string> = new Set(['event', 'level', 'deployment_id']);

const PARAMS = 's String, e String, f UInt64, t UInt64, first Int64, size UInt64';

/**
 * Insights in SQL (query/insights/types.ts rules), for `by` = event, level or deployment_id. Two reads of the
 * scenario's range through the primary key, run together:
 * - counts per (bucket, event, level[, deployment_id]) as `uniqExact(ts_ms, id)` — one per stored event, also while
 *   a duplicate row from racing collectors waits for a merge — from which the group (the level rule of query/level.ts
 *   is applied here, in one place) and the failures (the store's failure events) follow;
 * - the distinct (bucket, installation_id) pairs, counted by the same InstallationSet the reference uses, so counts
 *   and the estimate past EXACT_INSTALLATIONS_LIMIT are identical to the JSONL store's.
 * The answer is assembled by the shared assembleAnswer (ranking, `other`, zeros).
 */
export async function sqlInsights(http: ClickHouseHttp, policy: RetryPolicy, events: string, q: InsightsQuery, failureEvents: readonly string[] | undefined): Promise<InsightsAnswer> {
  checkInsightsQuery(q);
  const starts = bucketStarts(q.from, q.to, q.bucket);
  const failures = new Set(failureEvents ?? DEFAULT_FAILURE_EVENTS);
  const tallies = starts.map(() => ({ counts: new Map<string, number>(), installations: new InstallationSet(), failures: 0 }));
  const all = new InstallationSet();
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
    const [counts, installations] = await Promise.all([
      read(`SELECT ${bucket}, event, level${byDeployment ? ', deployment_id' : ''}, uniqExact(ts_ms, id) FROM ${events} ${range} GROUP BY b, event, level${byDeployment ? ', deployment_id' : ''} FORMAT TabSeparated`),
      read(`SELECT ${bucket}, installation_id FROM ${events} ${range} WHERE installation_id IS NOT NULL GROUP BY b, installation_id FORMAT TabSeparated`),
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
    for (const [b, id] of installations) {
      const tally = tallies[Number(b)];
      if (tally === undefined || id === null || id === undefined) continue;
      tally.installations.add(id);
      all.add(id);
    }
  }
  return assembleAnswer(q, starts, tallies, all);
}
