import { printable } from '../../core/sanitize.js';
import type { InsightBucket, InsightsAnswer } from '../../query/insights/types.js';
import { displayWidth, truncate } from './width.js';

// Words shared by the table and the chart. Every text from the answer is made printable first: it may come from a
// collector, and group names are stored `details` values that anyone could upload.

const ISO = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}):\d{2}(?:\.\d+)?Z$/;

/** A bucket's start as people read it: the date for days and weeks, date and time (UTC) for hours and minutes. */
export function bucketLabel(start: string, bucket: InsightBucket): string {
  const m = ISO.exec(start);
  if (m === null) return printable(start);
  return bucket === 'day' || bucket === 'week' ? m[1]! : `${m[1]} ${m[2]}`;
}

/** The table's first heading. */
export function bucketHeading(bucket: InsightBucket): string {
  return bucket === 'week' ? 'WEEK OF (UTC)' : `${bucket.toUpperCase()} (UTC)`;
}

/** Plural for "each mark is N days". */
export function bucketUnit(bucket: InsightBucket, n: number): string {
  return n === 1 ? bucket : `${n} ${bucket}s`;
}

/** An installation count, `~` in front when it is an estimate. */
export function installationsText(i: { count: number; estimated: boolean }): string {
  return `${i.estimated ? '~' : ''}${i.count}`;
}

/**
 * What the numbers are (scenario, grouping, bucket, event filter, range) in one line, or two when `columns` is too
 * narrow for one (each cut to `columns` if a long scenario or key name still does not fit).
 */
export function titleLines(a: InsightsAnswer, columns?: number, ellipsis = '…'): string[] {
  const event = a.event === null ? '' : `, only ${printable(a.event)}`;
  const head = `${printable(a.scenario)}: ${a.total_events} events by ${printable(a.by)} per ${a.bucket}${event}`;
  const range = `from ${printable(a.from)} to ${printable(a.to)}`;
  if (columns === undefined) return [`${head}, ${range}`];
  if (displayWidth(head) + 2 + displayWidth(range) <= columns) return [`${head}, ${range}`];
  return [truncate(head, columns, ellipsis), truncate(range, columns, ellipsis)];
}

/** The footnote for estimated installation counts (none when every count is exact). */
export function estimateNote(a: InsightsAnswer, limit: number): string | undefined {
  const any = a.installations.estimated || a.buckets.some((b) => b.installations.estimated);
  return any ? `~ = estimated (over ${limit} installations)` : undefined;
}
