import { InstallationSet } from './installations.js';
import { rankGroups } from './groups.js';
import { OTHER_GROUP, type InsightBucketRow, type InsightsAnswer, type InsightsQuery, type InstallationCount } from './types.js';

/** Distinct installations as counted by an implementation (InstallationSet, or a store's own structure). */
export interface InstallationCounter {
  count(): InstallationCount;
}

/** What one bucket counted, before ranking: events per group (any names), installations, failures. */
export interface BucketTally {
  counts: Map<string, number>;
  installations: InstallationCounter;
  failures: number;
}

export function emptyTally(): BucketTally {
  return { counts: new Map(), installations: new InstallationSet(), failures: 0 };
}

/** A record without a prototype: group names are data (`__proto__`, `constructor` are names like any other). */
function record(): Record<string, number> {
  return Object.create(null) as Record<string, number>;
}

/**
 * The answer from per-bucket tallies (one per start, same order) and the installations over the whole range: ranks
 * the groups, folds the rest into `other`, fills zeros. Shared by every implementation so the shape and the ranking
 * are written once.
 */
export function assembleAnswer(query: InsightsQuery, starts: readonly number[], tallies: readonly BucketTally[], installations: InstallationCounter): InsightsAnswer {
  const groupTotals = new Map<string, number>();
  let totalEvents = 0;
  let failures = 0;
  for (const tally of tallies) {
    for (const [name, n] of tally.counts) groupTotals.set(name, (groupTotals.get(name) ?? 0) + n);
    failures += tally.failures;
  }
  const { named, folded } = rankGroups(groupTotals, query.top);
  const groups = folded.size > 0 ? [...named, OTHER_GROUP] : named;

  const totals = record();
  for (const name of named) totals[name] = groupTotals.get(name)!;
  if (folded.size > 0) {
    let other = 0;
    for (const name of folded) other += groupTotals.get(name)!;
    totals[OTHER_GROUP] = other;
  }

  const buckets: InsightBucketRow[] = tallies.map((tally, i) => {
    const counts = record();
    for (const name of groups) counts[name] = 0;
    let total = 0;
    for (const [name, n] of tally.counts) {
      total += n;
      counts[folded.has(name) ? OTHER_GROUP : name]! += n;
    }
    totalEvents += total;
    return { start: new Date(starts[i]!).toISOString(), total, counts, installations: tally.installations.count(), failures: tally.failures };
  });

  return {
    scenario: query.scenario,
    from: new Date(query.from).toISOString(),
    to: new Date(query.to).toISOString(),
    bucket: query.bucket,
    by: query.by,
    event: query.event ?? null,
    top: query.top,
    groups,
    totals,
    total_events: totalEvents,
    installations: installations.count(),
    failures,
    buckets,
  };
}
