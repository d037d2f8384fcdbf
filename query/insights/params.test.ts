import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BUCKET_MS, bucketStart } from './buckets.js';
import { InsightsQueryError } from './errors.js';
import { DEFAULT_INSIGHT_RANGE_MS, parseInsightsParams, type InsightsParams } from './params.js';
import { MAX_INSIGHT_BUCKETS } from './types.js';

const NOW = Date.parse('2025-06-15T12:34:56.789Z');
const D = 86_400_000;

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InsightsQueryError);
    expect((err as InsightsQueryError).statusCode).toBe(400);
    expect((err as InsightsQueryError).code).toBe('OPT_ERR_INSIGHTS_QUERY');
    return (err as InsightsQueryError).field;
  }
  return undefined;
}

describe('parseInsightsParams', () => {
  const DAY0 = Date.parse('2025-06-15T00:00:00Z');
  it('defaults: to = now, from = to - 7d, bucket day, by event, top 10, no event filter; widened to whole days', () => {
    // from = 2025-06-08T12:34:56.789Z down to 06-08T00:00Z; to = now up to the end of today.
    expect(parseInsightsParams('app', {}, NOW)).toEqual({ scenario: 'app', from: DAY0 - 7 * D, to: DAY0 + D, bucket: 'day', by: 'event', top: 10 });
    expect(DEFAULT_INSIGHT_RANGE_MS).toBe(7 * D);
    // Blank values are the defaults (a form that sends every field).
    expect(parseInsightsParams('app', new URLSearchParams('from=&to=&bucket=&top=&event='), NOW)).toEqual(parseInsightsParams('app', {}, NOW));
  });

  it('from = to - 7d when only to is given; a to on a bucket boundary stays (it is exclusive)', () => {
    const p = parseInsightsParams('app', { to: '2025-01-10T00:00:00Z' }, NOW);
    expect(p.from).toBe(Date.parse('2025-01-03T00:00:00Z'));
    expect(p.to).toBe(Date.parse('2025-01-10T00:00:00Z'));
  });

  it('relative times are before now; ISO times as given; both widened to whole buckets', () => {
    const p = parseInsightsParams('app', new URLSearchParams('from=30d&to=12h&bucket=hour&by=version&top=25&event=command'), NOW);
    const H = 3_600_000;
    expect(p).toEqual({ scenario: 'app', from: Date.parse('2025-05-16T12:00:00Z'), to: Date.parse('2025-06-15T01:00:00Z'), bucket: 'hour', by: 'version', top: 25, event: 'command' });
    expect(p.to - p.from).toBe(30 * D - 11 * H);
    expect(parseInsightsParams('app', { from: '4w', bucket: 'week' }, NOW)).toMatchObject({ from: Date.parse('2025-05-12T00:00:00Z'), to: Date.parse('2025-06-16T00:00:00Z') }); // Mondays
    expect(parseInsightsParams('app', { from: '30m', bucket: 'minute' }, NOW)).toMatchObject({ from: Date.parse('2025-06-15T12:04:00Z'), to: Date.parse('2025-06-15T12:35:00Z') });
    const iso = parseInsightsParams('app', { from: '2025-06-01', to: '2025-06-02T06:00:00.5+02:00', bucket: 'hour' }, NOW);
    expect(iso.from).toBe(Date.parse('2025-06-01T00:00:00Z'));
    expect(iso.to).toBe(Date.parse('2025-06-02T05:00:00Z'));
  });

  it('any range: the widened one holds the given one and starts and ends on bucket boundaries', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4e12 }), fc.integer({ min: 1, max: 60 * D }), fc.constantFrom('hour', 'day', 'week'), (from, span, bucket) => {
        const p = parseInsightsParams('app', { from: new Date(from).toISOString(), to: new Date(from + span).toISOString(), bucket }, NOW);
        expect(p.from).toBeLessThanOrEqual(from);
        expect(p.to).toBeGreaterThanOrEqual(from + span);
        expect(bucketStart(p.from, p.bucket)).toBe(p.from);
        expect(bucketStart(p.to, p.bucket)).toBe(p.to);
        expect(p.to - p.from).toBeLessThan(span + 2 * BUCKET_MS[p.bucket]);
      }),
    );
  });

  it('bad input: a typed error naming the field', () => {
    const cases: [InsightsParams | string, string][] = [
      [{ bucket: 'month' }, 'bucket'],
      [{ from: 'yesterday' }, 'from'],
      [{ to: '2025-13-45' }, 'to'],
      [{ from: '1d', to: '2d' }, 'from'], // from after to
      [{ from: '2025-06-01', to: '2025-06-01' }, 'from'], // from = to
      [{ from: '30d', bucket: 'minute' }, 'bucket'], // 43,200 buckets
      [{ top: '0' }, 'top'],
      [{ top: '101' }, 'top'],
      [{ top: '2.5' }, 'top'],
      [{ top: 'ten' }, 'top'],
      [{ by: '' }, 'by'],
      [{ by: 'x'.repeat(257) }, 'by'],
      [{ by: 'a\nb' }, 'by'],
      [{ event: 'x'.repeat(257) }, 'event'],
      ['bukcet=hour', 'bukcet'],
      ['top=5&top=6', 'top'],
    ];
    for (const [params, field] of cases) {
      const p = typeof params === 'string' ? new URLSearchParams(params) : params;
      expect(fieldOf(() => parseInsightsParams('app', p, NOW)), JSON.stringify(params)).toBe(field);
    }
    expect(fieldOf(() => parseInsightsParams('../etc', {}, NOW))).toBe('scenario');
  });

  it('accepts exactly MAX_INSIGHT_BUCKETS buckets, refuses one more', () => {
    const from = Date.parse('2025-01-01T00:00:00Z');
    const ok = { from: new Date(from).toISOString(), to: new Date(from + MAX_INSIGHT_BUCKETS * 3_600_000).toISOString(), bucket: 'hour' };
    // One millisecond more reaches into bucket 2001.
    expect(parseInsightsParams('app', ok, NOW).bucket).toBe('hour');
    expect(fieldOf(() => parseInsightsParams('app', { ...ok, to: new Date(from + MAX_INSIGHT_BUCKETS * 3_600_000 + 1).toISOString() }, NOW))).toBe('bucket');
  });

  it('any top from 1 to 100 and any printable by up to 256 characters are accepted', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.string({ minLength: 1, maxLength: 256, unit: 'grapheme-ascii' }), (top, by) => {
        fc.pre(!/[\u0000-\u001f\u007f]/.test(by));
        const p = parseInsightsParams('app', new URLSearchParams({ top: String(top), by }), NOW);
        expect(p.top).toBe(top);
        expect(p.by).toBe(by);
      }),
    );
  });
});
