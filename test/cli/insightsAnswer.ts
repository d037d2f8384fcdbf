import type { InsightBucket, InsightsAnswer } from '../../query/insights/types.js';

export interface AnswerSpec {
  scenario?: string;
  by?: string;
  bucket?: InsightBucket;
  event?: string | null;
  /** Group names in rank order. */
  groups: string[];
  /** Per bucket, the count of each group (same order as `groups`). */
  rows: number[][];
  /** Distinct installations per bucket (default: the bucket's total) and over the range (default: the largest bucket's). */
  installations?: number[];
  rangeInstallations?: number;
  estimated?: boolean;
  /** Failures per bucket (default 0). */
  failures?: number[];
  /** First bucket start (default 2025-01-06, a Monday). */
  start?: number;
}

const SIZE: Record<InsightBucket, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000 };

/**
 * An insights answer for renderer tests, with every derived number (totals, totals per group) computed from the rows,
 * so a test states only the per-bucket counts it is about. The real computation is checked against the CLI's output
 * in test/cli/insights.test.ts.
 */
export function makeAnswer(spec: AnswerSpec): InsightsAnswer {
  const bucket = spec.bucket ?? 'day';
  const start = spec.start ?? Date.UTC(2025, 0, 6);
  const size = SIZE[bucket];
  const totals: Record<string, number> = {};
  spec.groups.forEach((g, k) => (totals[g] = spec.rows.reduce((s, r) => s + (r[k] ?? 0), 0)));
  const buckets = spec.rows.map((r, i) => {
    const total = r.reduce((s, n) => s + n, 0);
    const counts: Record<string, number> = {};
    spec.groups.forEach((g, k) => (counts[g] = r[k] ?? 0));
    return {
      start: new Date(start + i * size).toISOString(),
      total,
      counts,
      installations: { count: spec.installations?.[i] ?? total, estimated: spec.estimated ?? false },
      failures: spec.failures?.[i] ?? 0,
    };
  });
  const totalEvents = buckets.reduce((s, b) => s + b.total, 0);
  return {
    scenario: spec.scenario ?? 'picker-wheel',
    from: new Date(start).toISOString(),
    to: new Date(start + spec.rows.length * size).toISOString(),
    bucket,
    by: spec.by ?? 'version',
    event: spec.event ?? null,
    top: 10,
    groups: spec.groups,
    totals,
    total_events: totalEvents,
    installations: { count: spec.rangeInstallations ?? Math.max(0, ...buckets.map((b) => b.installations.count)), estimated: spec.estimated ?? false },
    failures: buckets.reduce((s, b) => s + b.failures, 0),
    buckets,
  };
}
