/**
 * The insights contract: usage over time for one scenario (`GET /api/v1/telemetry/{scenario}/insights`,
 * `otel-product-telemetry insights`, the dashboard). Both stores answer it (`TelemetryStore.insights`) and must give
 * identical answers on the same data; `computeInsights` in this folder is the reference (a scan over stored lines)
 * that the JSONL store's rollups, the ClickHouse SQL and the CLI's local mode are checked against.
 *
 * Rules (every implementation follows them exactly):
 * - Time: events with `from <= ts < to` count. Buckets are aligned in UTC: minute, hour, day (00:00Z) and week
 *   (Monday 00:00Z, ISO weeks). The answer lists every bucket that overlaps [from, to), oldest first, empty ones
 *   included (counts 0), so a chart needs no gap filling. At most `MAX_INSIGHT_BUCKETS` buckets (else a 400 naming
 *   `bucket`).
 * - Grouping (`by`): `event` = the event name; `level` = the line's level by the `query/level.ts` rule (a line's own
 *   `level`, else failure events are `error`, else `info`); `deployment_id` = the line's deployment id; any other
 *   name = that top-level key of `details` (`version`, `platform`, ...), its value as text (strings as they are,
 *   numbers and booleans by `String()`, anything else is not a value). An event without a value for the grouping
 *   counts in the group `NO_GROUP` ("(none)").
 * - `top`: the groups ranked by their total in the range (descending, ties by name ascending); the first `top` are
 *   named, the others summed into `OTHER_GROUP` ("other"), which appears only when something was folded into it.
 *   Names compare by code point (= UTF-8 byte order). A group whose own value is "other" never takes a named place:
 *   it always counts in `OTHER_GROUP` (so "other" is one group, last); a value "(none)" counts in `NO_GROUP`.
 *   `counts`/`totals` are JSON objects whose key order is not the rank order: `groups` gives the order.
 * - `event`: when set, only events with that name count (in every number of the answer).
 * - Installations: distinct `installation_id` values among the counted events (events without one add nothing), per
 *   bucket and over the whole range. Exact up to `EXACT_INSTALLATIONS_LIMIT` distinct ids; above that an estimate,
 *   and `estimated: true` says so. The estimate is the HyperLogLog of hll.ts (MurmurHash3 32-bit of the id's UTF-8,
 *   16,384 registers) over all the distinct ids counted, so it does not depend on how they spread over buckets.
 * - Failures: events whose name is in the store's failure events (the summaries' rule), per bucket and in total.
 */

export const INSIGHT_BUCKETS = ['minute', 'hour', 'day', 'week'] as const;
export type InsightBucket = (typeof INSIGHT_BUCKETS)[number];

/** Groupings with a fixed meaning; any other `by` is a `details` key. */
export const INSIGHT_FIXED_GROUPINGS = ['event', 'level', 'deployment_id'] as const;

/** The group of events that have no value for the grouping. */
export const NO_GROUP = '(none)';
/** The group the groups after `top` are summed into. */
export const OTHER_GROUP = 'other';

export const DEFAULT_INSIGHT_TOP = 10;
export const MAX_INSIGHT_TOP = 100;
export const MAX_INSIGHT_BUCKETS = 2000;
/** Distinct installation ids counted exactly; above this the count is an estimate. */
export const EXACT_INSTALLATIONS_LIMIT = 10_000;

export interface InsightsQuery {
  scenario: string;
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
  bucket: InsightBucket;
  /** `event`, `level`, `deployment_id` or a details key. */
  by: string;
  /** Only this event name. */
  event?: string;
  /** Named groups (1..MAX_INSIGHT_TOP). */
  top: number;
}

export interface InstallationCount {
  count: number;
  /** True when the count is an estimate (more distinct ids than EXACT_INSTALLATIONS_LIMIT). */
  estimated: boolean;
}

export interface InsightBucketRow {
  /** Bucket start, ISO 8601 UTC with milliseconds. */
  start: string;
  /** Events in this bucket, all groups. */
  total: number;
  /** Events per group (every group of `groups`, zeros included). */
  counts: Record<string, number>;
  installations: InstallationCount;
  failures: number;
}

/** The answer (the route's JSON body). */
export interface InsightsAnswer {
  scenario: string;
  /** The range as applied, ISO 8601 UTC with milliseconds. */
  from: string;
  to: string;
  bucket: InsightBucket;
  by: string;
  event: string | null;
  top: number;
  /** Group names in rank order (`other` last when present). */
  groups: string[];
  /** Per group over the range. */
  totals: Record<string, number>;
  total_events: number;
  installations: InstallationCount;
  failures: number;
  buckets: InsightBucketRow[];
}
