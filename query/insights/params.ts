import { isSafeScenario } from '../../core/scenario.js';
import { parseTimeBound } from '../time.js';
import { BUCKET_MS, bucketStart, checkBucketCount } from './buckets.js';
import { InsightsQueryError } from './errors.js';
import { DEFAULT_INSIGHT_TOP, INSIGHT_BUCKETS, MAX_INSIGHT_TOP, type InsightBucket, type InsightsQuery } from './types.js';

/** The parameters of the route's query string and the CLI's options, as text (absent or blank = the default). */
export interface InsightsParams {
  /** ISO 8601, or a duration before now (`30m`, `12h`, `7d`, `4w`, combinable `1d12h`). Default: `to` − 7 days. */
  from?: string;
  /** As `from`. Default: now. */
  to?: string;
  /** `minute|hour|day|week`. Default `day`. */
  bucket?: string;
  /** `event`, `level`, `deployment_id` or a details key. Default `event`. */
  by?: string;
  /** Only this event name. */
  event?: string;
  /** Named groups, 1..100. Default 10. */
  top?: string;
}

export const INSIGHTS_PARAM_NAMES = ['from', 'to', 'bucket', 'by', 'event', 'top'] as const;

export const DEFAULT_INSIGHT_RANGE_MS = 7 * 86_400_000;
/** Longest `by` (a details key) and `event` accepted. */
export const MAX_INSIGHT_NAME_LENGTH = 256;

// Control characters in a key or event name are never what a user meant (and would garble a terminal table).
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Parse the route's / CLI's parameters into an InsightsQuery, its range widened to whole buckets (`from` to the start
 * of its bucket, `to` to the end of the bucket holding its last millisecond). `params` may be URLSearchParams
 * (unknown and repeated keys are refused, naming them: a typo'd `bukcet` must not silently mean the default). Throws
 * InsightsQueryError (400) naming the field.
 */
export function parseInsightsParams(scenario: string, params: InsightsParams | URLSearchParams, now: number = Date.now()): InsightsQuery {
  const p = params instanceof URLSearchParams ? fromSearch(params) : params;
  if (!isSafeScenario(scenario)) throw new InsightsQueryError('scenario', 'not a scenario name (1-128 characters from A-Z a-z 0-9 . _ - starting with a letter or digit)');

  const to = blank(p.to) ? now : timeOf('to', p.to!, now);
  const from = blank(p.from) ? to - DEFAULT_INSIGHT_RANGE_MS : timeOf('from', p.from!, now);

  let bucket: InsightBucket = 'day';
  if (!blank(p.bucket)) {
    const b = p.bucket!.trim();
    if (!(INSIGHT_BUCKETS as readonly string[]).includes(b)) throw new InsightsQueryError('bucket', `unknown bucket ${JSON.stringify(b.slice(0, 40))}; one of ${INSIGHT_BUCKETS.join(', ')}`);
    bucket = b as InsightBucket;
  }

  const by = p.by === undefined ? 'event' : p.by;
  let top = DEFAULT_INSIGHT_TOP;
  if (!blank(p.top)) {
    const t = p.top!.trim();
    top = /^\d{1,4}$/.test(t) ? Number(t) : NaN;
  }
  const event = blank(p.event) ? undefined : p.event;
  // Whole buckets: `from` down to its bucket's start, `to` up to the end of the bucket holding the last included
  // millisecond. A chart then has no partial first or last bucket (a "7d" range does not start with a dip), and a
  // store's rollups (slots of a bucket's size or smaller) answer it without reading events. The answer says the range
  // applied.
  const query: InsightsQuery = { scenario, from, to, bucket, by, top };
  if (from < to) {
    query.from = bucketStart(from, bucket);
    query.to = bucketStart(to - 1, bucket) + BUCKET_MS[bucket];
  }
  if (event !== undefined) query.event = event;
  checkInsightsQuery(query);
  return query;
}

/** Check a query built in code (a store's `insights` receives one): the same rules as parsing, InsightsQueryError naming the field. */
export function checkInsightsQuery(query: InsightsQuery): void {
  if (!Number.isSafeInteger(query.from)) throw new InsightsQueryError('from', 'not a time');
  if (!Number.isSafeInteger(query.to)) throw new InsightsQueryError('to', 'not a time');
  if (!(INSIGHT_BUCKETS as readonly string[]).includes(query.bucket)) throw new InsightsQueryError('bucket', `one of ${INSIGHT_BUCKETS.join(', ')}`);
  checkName('by', query.by);
  if (query.event !== undefined) checkName('event', query.event);
  if (!Number.isInteger(query.top) || query.top < 1 || query.top > MAX_INSIGHT_TOP) throw new InsightsQueryError('top', `an integer from 1 to ${MAX_INSIGHT_TOP}`);
  checkBucketCount(query.from, query.to, query.bucket);
}

function checkName(field: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0) throw new InsightsQueryError(field, 'must not be empty');
  if (value.length > MAX_INSIGHT_NAME_LENGTH) throw new InsightsQueryError(field, `longer than ${MAX_INSIGHT_NAME_LENGTH} characters`);
  if (CONTROL.test(value)) throw new InsightsQueryError(field, 'contains a control character');
}

function timeOf(field: 'from' | 'to', value: string, now: number): number {
  const ms = parseTimeBound(value, now);
  if (ms === undefined || !Number.isSafeInteger(ms)) {
    throw new InsightsQueryError(field, `${JSON.stringify(value.slice(0, 40))} is neither an ISO 8601 time nor a duration before now such as 30m, 12h, 7d or 4w`);
  }
  return ms;
}

function blank(value: string | undefined): boolean {
  return value === undefined || value.trim() === '';
}

function fromSearch(search: URLSearchParams): InsightsParams {
  const out: InsightsParams = {};
  for (const key of new Set(search.keys())) {
    if (!(INSIGHTS_PARAM_NAMES as readonly string[]).includes(key)) {
      throw new InsightsQueryError(key.slice(0, 40), `unknown parameter; the parameters are ${INSIGHTS_PARAM_NAMES.join(', ')}`);
    }
    const values = search.getAll(key);
    if (values.length > 1) throw new InsightsQueryError(key, 'given more than once');
    out[key as keyof InsightsParams] = values[0];
  }
  return out;
}
