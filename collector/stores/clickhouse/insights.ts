import { ClickHouseError } from '../../../core/errors.js';
import type { ClickHouseHttp } from '../../../exporters/clickhouse/ClickHouseHttp.js';
import { withRetry, type RetryPolicy } from '../../../exporters/clickhouse/retry.js';
import { parseTsv } from '../../../exporters/clickhouse/tsv.js';
import { DEFAULT_FAILURE_EVENTS } from '../../../core/record.js';
import { levelOfEvent } from '../../../query/level.js';
import type { BucketTally, InstallationCounter } from '../../../query/insights/answer.js';
import { assembleAnswer, BUCKET_MS, bucketStarts, checkInsightsQuery, type InsightsAnswer, type InsightsQuery } from '../../../query/insights/index.js';
import { InstallationSet } from '../../../query/insights/installations.js';
import { EXACT_INSTALLATIONS_LIMIT, INSIGHT_FIXED_GROUPINGS, NO_GROUP } from '../../../query/insights/types.js';

import { groupOf } from '../../../query/insights/groups.js';

const FIXED_GROUPINGS: ReadonlySet<string> = new Set(INSIGHT_FIXED_GROUPINGS);

const PARAMS = 's String, e String, k String, f UInt64, t UInt64, first Int64, size UInt64';

/** An exact count within the limit, as InstallationSet reports it. */
function exactCount(count: number): InstallationCounter {
  return { count: () => ({ count, estimated: false }) };
}

/**
 * Insights in SQL (query/insights/types.ts rules), for every `by`. Reads of the scenario's range through the primary
 * key, run together:
 * - counts per (bucket, event, level[, deployment_id]) as `uniqExact(ts_ms, id)` — one per stored event, also while
 *   a duplicate row from racing collectors waits for a merge — from which the group (the level rule of query/level.ts
 *   is applied here, in one place) and the failures (the store's failure events) follow. For a details key the
 *   group is the key's value from the row's details index (exporters/clickhouse/detailsIndex.ts: the top-level
 *   scalar values, converted by the reference's own rule), counted per (bucket, event, present, value); rows
 *   without the index (`details_indexed = 0`: an earlier release's, or another writer's) are grouped here from their
 *   `details` text by the reference's groupOf — see detailsFallback;
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
    const params = { s: q.scenario, e: q.event ?? '', k: q.by, f: Math.max(0, Math.ceil(q.from)), t: Math.ceil(q.to), first: starts[0]!, size: BUCKET_MS[q.bucket] };
    const tables = [{ name: 'p', structure: PARAMS, rows: [params] }];
    const bucket = 'intDiv(toInt64(ts_ms) - (SELECT any(first) FROM p), (SELECT any(size) FROM p)) AS b';
    const inRange =
      'scenario = (SELECT any(s) FROM p) AND ts_ms >= (SELECT any(f) FROM p) AND ts_ms < (SELECT any(t) FROM p)' +
      (q.event !== undefined ? ' AND event = (SELECT any(e) FROM p)' : '');
    const range = `PREWHERE ${inRange}`;
    const byDeployment = q.by === 'deployment_id';
    const byDetails = !FIXED_GROUPINGS.has(q.by);
    const read = (sql: string): Promise<(string | null)[][]> =>
      withRetry(policy, 'reading insights', async (a) => parseTsv(await http.text(sql, { tables, timeoutMs: a.timeoutMs, signal: a.signal })));
    const countsSql = byDetails
      ? // indexOf is 0 when the key is absent ("(none)"), and a present key may hold "" (its own group).
        `SELECT ${bucket}, event, details_indexed AS x, indexOf(details_keys, (SELECT any(k) FROM p)) != 0 AS present, details_values[indexOf(details_keys, (SELECT any(k) FROM p))] AS v, uniqExact(ts_ms, id) FROM ${events} ${range} GROUP BY b, event, x, present, v FORMAT TabSeparated`
      : `SELECT ${bucket}, event, level${byDeployment ? ', deployment_id' : ''}, uniqExact(ts_ms, id) FROM ${events} ${range} GROUP BY b, event, level${byDeployment ? ', deployment_id' : ''} FORMAT TabSeparated`;
    // Per bucket, and over the range as the TOTALS row of the same read (one pass over installation_id, not two).
    const [counts, [distinct, distinctAll]] = await Promise.all([
      read(countsSql),
      withRetry(policy, 'reading insights', async (a) =>
        withTotals(await http.text(`SELECT ${bucket}, uniqExact(installation_id) FROM ${events} ${range} WHERE installation_id IS NOT NULL GROUP BY b WITH TOTALS FORMAT TabSeparated`, { tables, timeoutMs: a.timeoutMs, signal: a.signal })),
      ),
    ]);
    let unindexed = false;
    for (const row of counts) {
      const tally = tallies[Number(row[0])];
      if (tally === undefined) continue;
      const event = row[1]!;
      if (byDetails && row[2] === '0') {
        unindexed = true;
        continue;
      }
      const level = row[2]!;
      const n = Number(row[byDetails ? 5 : byDeployment ? 4 : 3]);
      const group = byDetails
        ? row[3] === '1' ? row[4]! : NO_GROUP
        : q.by === 'event' ? event : q.by === 'level' ? levelOfEvent(event, level === '' ? undefined : level) : (row[3] ?? NO_GROUP);
      tally.counts.set(group, (tally.counts.get(group) ?? 0) + n);
      if (failures.has(event)) tally.failures += n;
    }
    if (unindexed) await detailsFallback(read, events, bucket, inRange, q.by, tallies, failures);
    // Up to EXACT_INSTALLATIONS_LIMIT the exact count is the answer; a count above it is the reference's estimate,
    // so only then are the ids themselves read (for those buckets, or for the range) and fed to its InstallationSet.
    const over = new Map<number, InstallationSet>();
    for (const [b, n] of distinct) {
      const tally = tallies[Number(b)];
      if (tally === undefined) continue;
      if (Number(n) > EXACT_INSTALLATIONS_LIMIT) over.set(Number(b), (tally.installations = new InstallationSet()));
      else tally.installations = exactCount(Number(n));
    }
    const overall = Number(distinctAll[1] ?? 0);
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

/**
 * A TabSeparated answer of `GROUP BY … WITH TOTALS`: the rows, then an empty line and the totals row (its keys at
 * their defaults). Returns the rows and the totals row's fields.
 */
function withTotals(text: string): [(string | null)[][], (string | null)[]] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const blank = lines.lastIndexOf('');
  if (blank === -1 || blank !== lines.length - 2) throw new ClickHouseError(`ClickHouse answered WITH TOTALS without its totals row: ${JSON.stringify(text.slice(-200))}`, 0, false);
  return [parseTsv(lines.slice(0, blank).join('\n')), parseTsv(lines[blank + 1]!)[0] ?? []];
}

/**
 * The rows without a details index (`details_indexed = 0`: written by an earlier release, before the columns were
 * added, or by a writer that does not fill them): counted from their `details` text by the reference's own groupOf.
 * Grouped in SQL by (bucket, event, details text) with `uniqExact(ts_ms, id)`, so each distinct text is parsed once and
 * a racing duplicate counts once; an event that also has an indexed copy (two collectors of different releases racing
 * on it) was counted with the indexed rows and is left out here. Only run when the counts saw such rows in the range,
 * so a table written by this release alone never pays for it.
 */
async function detailsFallback(
  read: (sql: string) => Promise<(string | null)[][]>,
  events: string,
  bucket: string,
  inRange: string,
  by: string,
  tallies: BucketTally[],
  failures: ReadonlySet<string>,
): Promise<void> {
  const rows = await read(
    `SELECT ${bucket}, event, details, uniqExact(ts_ms, id) FROM ${events} PREWHERE ${inRange} AND details_indexed = 0 ` +
      `WHERE (ts_ms, id) NOT IN (SELECT ts_ms, id FROM ${events} PREWHERE ${inRange} AND details_indexed = 1) GROUP BY b, event, details FORMAT TabSeparated`,
  );
  for (const [b, event, details, count] of rows) {
    const tally = tallies[Number(b)];
    if (tally === undefined) continue;
    const n = Number(count);
    const parsed: unknown = details === '' || details === null || details === undefined ? undefined : JSON.parse(details);
    const group = groupOf({ ts: '', scenario: '', event: event!, id: '', details: parsed as Record<string, unknown> | undefined }, by);
    tally.counts.set(group, (tally.counts.get(group) ?? 0) + n);
    if (failures.has(event!)) tally.failures += n;
  }
}
