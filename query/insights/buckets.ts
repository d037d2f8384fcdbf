import { InsightsQueryError } from './errors.js';
import { MAX_INSIGHT_BUCKETS, type InsightBucket } from './types.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const WEEK = 7 * DAY;
/** 1970-01-01 was a Thursday: ISO weeks start 3 days before the epoch's week boundary (Monday 1969-12-29). */
const WEEK_OFFSET = 3 * DAY;

export const BUCKET_MS: Readonly<Record<InsightBucket, number>> = { minute: MINUTE, hour: HOUR, day: DAY, week: WEEK };

/** Start (epoch ms) of the UTC bucket holding `ms`: minute, hour, day at 00:00Z, ISO week at Monday 00:00Z. */
export function bucketStart(ms: number, bucket: InsightBucket): number {
  if (bucket === 'week') return Math.floor((ms + WEEK_OFFSET) / WEEK) * WEEK - WEEK_OFFSET;
  const size = BUCKET_MS[bucket];
  return Math.floor(ms / size) * size;
}

/** How many buckets overlap [from, to) (from < to). */
export function bucketCount(from: number, to: number, bucket: InsightBucket): number {
  // UTC has no daylight saving: every bucket of a kind has the same length, so plain arithmetic is exact.
  return (bucketStart(to - 1, bucket) - bucketStart(from, bucket)) / BUCKET_MS[bucket] + 1;
}

/** Starts of every bucket overlapping [from, to), oldest first. Throws InsightsQueryError (`bucket`) above MAX_INSIGHT_BUCKETS. */
export function bucketStarts(from: number, to: number, bucket: InsightBucket): number[] {
  checkBucketCount(from, to, bucket);
  const size = BUCKET_MS[bucket];
  const out: number[] = [];
  for (let start = bucketStart(from, bucket); start < to; start += size) out.push(start);
  return out;
}

export function checkBucketCount(from: number, to: number, bucket: InsightBucket): void {
  if (!(from < to)) throw new InsightsQueryError('from', 'must be before to');
  const n = bucketCount(from, to, bucket);
  if (n > MAX_INSIGHT_BUCKETS) {
    throw new InsightsQueryError('bucket', `${n} ${bucket} buckets between from and to; at most ${MAX_INSIGHT_BUCKETS}: choose a larger bucket or a shorter range`);
  }
}
