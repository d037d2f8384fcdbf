import type { InsightBucket } from '../query/insights/types.js';

/**
 * Hash routes (no reload, no server-side routing, and the state of a view is in the URL so it can be bookmarked):
 *   #/                       overview (range in ?range=)
 *   #/s/{scenario}?by=&range=&bucket=&level=&search=&since=   scenario page (charts, failures, log search)
 *   #/transparency           what the collector reports about itself, and the consent state
 */
export const RANGES = ['24h', '7d', '30d', '90d'] as const;
export type Range = (typeof RANGES)[number];

const RANGE_MS: Record<Range, number> = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000, '90d': 90 * 86_400_000 };

/**
 * A range as explicit times, taken once per view: every request of a page then counts over the same range (a
 * relative `from=7d` would be read at each request's own "now").
 */
export function rangeTimes(range: Range, now = Date.now()): { from: string; to: string } {
  return { from: new Date(now - RANGE_MS[range]).toISOString(), to: new Date(now).toISOString() };
}

export const GROUPINGS = ['event', 'level', 'version', 'platform', 'deployment_id'] as const;

export type View =
  | { page: 'overview'; range: Range }
  | { page: 'scenario'; scenario: string; range: Range; by: string; bucket: InsightBucket | 'auto'; level: string; search: string; since: string }
  | { page: 'transparency' }
  | { page: 'missing'; hash: string };

const BUCKET_CHOICES: readonly string[] = ['auto', 'minute', 'hour', 'day', 'week'];

function rangeOf(p: URLSearchParams, fallback: Range): Range {
  const r = p.get('range');
  return (RANGES as readonly string[]).includes(r ?? '') ? (r as Range) : fallback;
}

export function parseHash(hash: string): View {
  const raw = hash.replace(/^#/, '') || '/';
  const q = raw.indexOf('?');
  const path = q === -1 ? raw : raw.slice(0, q);
  const p = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));
  if (path === '/' || path === '') return { page: 'overview', range: rangeOf(p, '7d') };
  if (path === '/transparency') return { page: 'transparency' };
  const m = /^\/s\/([^/]+)$/.exec(path);
  if (m) {
    let scenario: string;
    try {
      scenario = decodeURIComponent(m[1]!);
    } catch {
      return { page: 'missing', hash };
    }
    const bucket = p.get('bucket') ?? 'auto';
    return {
      page: 'scenario',
      scenario,
      range: rangeOf(p, '7d'),
      by: p.get('by') || 'event',
      bucket: (BUCKET_CHOICES.includes(bucket) ? bucket : 'auto') as InsightBucket | 'auto',
      level: p.get('level') ?? '',
      search: p.get('search') ?? '',
      since: p.get('since') ?? '',
    };
  }
  return { page: 'missing', hash };
}

export function hashOf(view: View): string {
  switch (view.page) {
    case 'overview':
      return view.range === '7d' ? '#/' : `#/?range=${view.range}`;
    case 'transparency':
      return '#/transparency';
    case 'missing':
      return view.hash;
    case 'scenario': {
      const p = new URLSearchParams();
      if (view.range !== '7d') p.set('range', view.range);
      if (view.by !== 'event') p.set('by', view.by);
      if (view.bucket !== 'auto') p.set('bucket', view.bucket);
      if (view.level !== '') p.set('level', view.level);
      if (view.search !== '') p.set('search', view.search);
      if (view.since !== '') p.set('since', view.since);
      const qs = p.toString();
      return `#/s/${encodeURIComponent(view.scenario)}${qs ? `?${qs}` : ''}`;
    }
  }
}

/**
 * The bucket a range is drawn in when none is chosen: enough bars to see a shape, few enough to read. The overview
 * uses the same, so both pages count the same events (the answer's range is aligned to whole buckets).
 */
export function autoBucket(range: Range): InsightBucket {
  return range === '24h' || range === '7d' ? 'hour' : 'day';
}
