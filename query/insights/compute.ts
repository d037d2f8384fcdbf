import { DEFAULT_FAILURE_EVENTS, type TelemetryLine } from '../../core/record.js';
import { parseIsoTimestamp } from '../../core/time.js';
import { assembleAnswer } from './answer.js';
import { BUCKET_MS, bucketStart, bucketStarts } from './buckets.js';
import { groupOf } from './groups.js';
import { InstallationSet } from './installations.js';
import { checkInsightsQuery } from './params.js';
import type { InsightsAnswer, InsightsQuery } from './types.js';

export interface ComputeInsightsOptions {
  /** Events counted as failures (the store's summaries' set). Default: DEFAULT_FAILURE_EVENTS. */
  failureEvents?: readonly string[];
}

/**
 * The reference insights: one plain scan over a scenario's stored lines, implementing every rule of types.ts. The
 * stores' fast paths (JSONL rollups, ClickHouse SQL) are tested against it; the CLI's local mode and small stores can
 * use it as it is. `lines` are the scenario's stored lines (the store decides which those are, e.g. case-folded
 * spellings of its name; the `scenario` field is not checked here); lines without a valid `ts` are skipped. Memory: one tally per bucket
 * (at most MAX_INSIGHT_BUCKETS), whatever the number of lines.
 */
export async function computeInsights(
  query: InsightsQuery,
  lines: Iterable<TelemetryLine> | AsyncIterable<TelemetryLine>,
  options: ComputeInsightsOptions = {},
): Promise<InsightsAnswer> {
  checkInsightsQuery(query);
  const failureEvents = new Set(options.failureEvents ?? DEFAULT_FAILURE_EVENTS);
  const starts = bucketStarts(query.from, query.to, query.bucket);
  const first = starts[0]!;
  const size = BUCKET_MS[query.bucket];
  const tallies = starts.map(() => ({ counts: new Map<string, number>(), installations: new InstallationSet(), failures: 0 }));
  const installations = new InstallationSet();

  for await (const line of lines) {
    if (query.event !== undefined && line.event !== query.event) continue;
    const ms = typeof line.ts === 'string' ? parseIsoTimestamp(line.ts) : undefined;
    if (ms === undefined || ms < query.from || ms >= query.to) continue;
    const tally = tallies[(bucketStart(ms, query.bucket) - first) / size]!;
    const group = groupOf(line, query.by);
    tally.counts.set(group, (tally.counts.get(group) ?? 0) + 1);
    if (failureEvents.has(line.event)) tally.failures++;
    if (typeof line.installation_id === 'string') {
      tally.installations.add(line.installation_id);
      installations.add(line.installation_id);
    }
  }
  return assembleAnswer(query, starts, tallies, installations);
}
