import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { TelemetryLine } from '../../core/record.js';
import { bucketStart, bucketStarts } from './buckets.js';
import { computeInsights } from './compute.js';
import { InsightsQueryError } from './errors.js';
import { groupOf } from './groups.js';
import { EXACT_INSTALLATIONS_LIMIT, NO_GROUP, OTHER_GROUP, type InsightsQuery } from './types.js';

const T0 = Date.parse('2025-03-03T00:00:00.000Z'); // a Monday
const H = 3_600_000;
const D = 86_400_000;

function line(ms: number, event: string, extra: Partial<TelemetryLine> = {}): TelemetryLine {
  return { ts: new Date(ms).toISOString(), scenario: 'app', event, ...extra };
}

function q(over: Partial<InsightsQuery> = {}): InsightsQuery {
  return { scenario: 'app', from: T0, to: T0 + 3 * D, bucket: 'day', by: 'event', top: 10, ...over };
}

// A small fixture whose numbers are checked by hand below.
const FIXTURE: TelemetryLine[] = [
  line(T0 - 1, 'app_start', { installation_id: 'i0' }), // before from: not counted
  line(T0, 'app_start', { installation_id: 'i1', details: { version: '1.0.0', platform: 'linux' } }),
  line(T0 + 2 * H, 'app_start', { installation_id: 'i2', details: { version: '1.1.0' } }),
  line(T0 + 3 * H, 'migration_failed', { installation_id: 'i1', deployment_id: 'd1', details: { version: '1.0.0' } }),
  line(T0 + D + 5, 'command', { installation_id: 'i1', level: 'warn', details: { version: 2, platform: 'darwin' } }),
  line(T0 + D + 6, 'command', { details: { version: true } }),
  line(T0 + D + 7, 'crash', { installation_id: 'i3', deployment_id: 'd1', details: { version: { major: 1 } } }),
  line(T0 + 3 * D, 'app_start', { installation_id: 'i9' }), // at to: not counted
  { ts: 'not a time', scenario: 'app', event: 'app_start' },
];

describe('computeInsights: a hand-checked fixture', () => {
  it('counts per day and event, with empty buckets, installations and failures', async () => {
    const a = await computeInsights(q(), FIXTURE);
    expect(a.from).toBe('2025-03-03T00:00:00.000Z');
    expect(a.to).toBe('2025-03-06T00:00:00.000Z');
    expect(a.event).toBeNull();
    expect(a.groups).toEqual(['app_start', 'command', 'crash', 'migration_failed']);
    expect(a.totals).toEqual({ app_start: 2, command: 2, crash: 1, migration_failed: 1 });
    expect(a.total_events).toBe(6);
    expect(a.failures).toBe(2); // migration_failed and crash are in the default failure set
    expect(a.installations).toEqual({ count: 3, estimated: false }); // i1, i2, i3
    expect(a.buckets.map((b) => b.start)).toEqual(['2025-03-03T00:00:00.000Z', '2025-03-04T00:00:00.000Z', '2025-03-05T00:00:00.000Z']);
    expect(a.buckets[0]).toEqual({
      start: '2025-03-03T00:00:00.000Z',
      total: 3,
      counts: { app_start: 2, command: 0, crash: 0, migration_failed: 1 },
      installations: { count: 2, estimated: false },
      failures: 1,
    });
    expect(a.buckets[1]).toMatchObject({ total: 3, counts: { app_start: 0, command: 2, crash: 1, migration_failed: 0 }, installations: { count: 2, estimated: false }, failures: 1 });
    expect(a.buckets[2]).toEqual({ start: '2025-03-05T00:00:00.000Z', total: 0, counts: { app_start: 0, command: 0, crash: 0, migration_failed: 0 }, installations: { count: 0, estimated: false }, failures: 0 });
  });

  it('groups by a details key: strings as they are, numbers and booleans as text, other values (none)', async () => {
    const a = await computeInsights(q({ by: 'version' }), FIXTURE);
    expect(a.totals).toEqual({ '1.0.0': 2, '1.1.0': 1, '2': 1, true: 1, [NO_GROUP]: 1 });
    // Ranked by total, ties by name: "(none)" < "1.1.0" < "2" < "true" in code-point order.
    expect(a.groups).toEqual(['1.0.0', NO_GROUP, '1.1.0', '2', 'true']);
  });

  it('groups by level (own level, else failure events are error) and by deployment_id', async () => {
    const byLevel = await computeInsights(q({ by: 'level' }), FIXTURE);
    expect(byLevel.totals).toEqual({ info: 3, error: 2, warn: 1 });
    expect(byLevel.groups).toEqual(['info', 'error', 'warn']);
    const byDep = await computeInsights(q({ by: 'deployment_id' }), FIXTURE);
    expect(byDep.totals).toEqual({ [NO_GROUP]: 4, d1: 2 });
  });

  it('top folds the rest into other, last; other appears only when something was folded', async () => {
    const a = await computeInsights(q({ top: 2 }), FIXTURE);
    expect(a.groups).toEqual(['app_start', 'command', OTHER_GROUP]);
    expect(a.totals).toEqual({ app_start: 2, command: 2, other: 2 });
    expect(a.buckets[0]!.counts).toEqual({ app_start: 2, command: 0, other: 1 });
    const b = await computeInsights(q({ top: 4 }), FIXTURE);
    expect(b.groups).not.toContain(OTHER_GROUP);
  });

  it('a group literally named "other" never takes a named place', async () => {
    const lines = [line(T0, 'other'), line(T0, 'other'), line(T0, 'other'), line(T0, 'a'), line(T0, 'b')];
    const a = await computeInsights(q({ top: 1 }), lines);
    expect(a.groups).toEqual(['a', OTHER_GROUP]);
    expect(a.totals).toEqual({ a: 1, other: 4 });
    const all = await computeInsights(q({ top: 10 }), lines);
    expect(all.groups).toEqual(['a', 'b', OTHER_GROUP]);
    expect(all.totals).toEqual({ a: 1, b: 1, other: 3 });
  });

  it('the event filter applies to every number', async () => {
    const a = await computeInsights(q({ event: 'command', by: 'platform' }), FIXTURE);
    expect(a.event).toBe('command');
    expect(a.total_events).toBe(2);
    expect(a.totals).toEqual({ darwin: 1, [NO_GROUP]: 1 });
    expect(a.installations.count).toBe(1);
    expect(a.failures).toBe(0);
  });

  it('failures follow the given failure events', async () => {
    const a = await computeInsights(q(), FIXTURE, { failureEvents: ['command'] });
    expect(a.failures).toBe(2);
    expect(a.buckets.map((b) => b.failures)).toEqual([0, 2, 0]);
  });

  it('hour buckets cover a partial first and last hour; week buckets start on Monday', async () => {
    const a = await computeInsights(q({ from: T0 + 30 * 60_000, to: T0 + 2 * H + 1, bucket: 'hour' }), FIXTURE);
    expect(a.buckets.map((b) => b.start)).toEqual(['2025-03-03T00:00:00.000Z', '2025-03-03T01:00:00.000Z', '2025-03-03T02:00:00.000Z']);
    expect(a.buckets.map((b) => b.total)).toEqual([0, 0, 1]); // the T0 event is before from
    const w = await computeInsights(q({ from: T0 - 2 * D, to: T0 + 9 * D, bucket: 'week' }), FIXTURE);
    expect(w.buckets.map((b) => b.start)).toEqual(['2025-02-24T00:00:00.000Z', '2025-03-03T00:00:00.000Z', '2025-03-10T00:00:00.000Z']);
    expect(w.buckets.map((b) => b.total)).toEqual([1, 7, 0]);
  });

  it('reads async iterables and names the field of a bad query', async () => {
    async function* gen(): AsyncGenerator<TelemetryLine> {
      yield* FIXTURE;
    }
    expect((await computeInsights(q(), gen())).total_events).toBe(6);
    await expect(computeInsights(q({ from: T0, to: T0 }), [])).rejects.toMatchObject({ field: 'from', statusCode: 400 });
    await expect(computeInsights(q({ bucket: 'minute', to: T0 + 10 * D }), [])).rejects.toBeInstanceOf(InsightsQueryError);
    await expect(computeInsights(q({ top: 0 }), [])).rejects.toMatchObject({ field: 'top' });
  });

  it('group names are data: __proto__ and constructor are groups like any other', async () => {
    const lines = [line(T0, 'x', { details: JSON.parse('{"k":"__proto__"}') as Record<string, unknown> }), line(T0, 'x', { details: { k: 'constructor' } })];
    const a = await computeInsights(q({ by: 'k' }), lines);
    expect(Object.keys(a.totals)).toEqual(['__proto__', 'constructor']);
    expect(JSON.parse(JSON.stringify(a.totals))).toEqual(JSON.parse('{"__proto__":1,"constructor":1}'));
    const b = await computeInsights(q({ by: '__proto__' }), [line(T0, 'x', { details: JSON.parse('{"__proto__":"v"}') as Record<string, unknown> }), line(T0, 'y')]);
    expect(b.totals).toEqual({ v: 1, [NO_GROUP]: 1 });
  });
});

describe('computeInsights: installations', () => {
  const ids = (n: number, prefix = 'inst-'): TelemetryLine[] => Array.from({ length: n }, (_, i) => line(T0 + (i % 1000), 'app_start', { installation_id: `${prefix}${i}` }));

  it('exact up to the limit', async () => {
    const a = await computeInsights(q(), [...ids(EXACT_INSTALLATIONS_LIMIT), ...ids(50)]);
    expect(a.installations).toEqual({ count: EXACT_INSTALLATIONS_LIMIT, estimated: false });
    expect(a.buckets[0]!.installations).toEqual({ count: EXACT_INSTALLATIONS_LIMIT, estimated: false });
  });

  it('above the limit an estimate within 2 %, marked estimated, the same for the range as for its one bucket', async () => {
    for (const n of [EXACT_INSTALLATIONS_LIMIT + 1, 30_000, 120_000]) {
      const a = await computeInsights(q(), ids(n));
      expect(a.installations.estimated).toBe(true);
      expect(Math.abs(a.installations.count - n) / n).toBeLessThan(0.02);
      expect(a.buckets[0]!.installations).toEqual(a.installations);
      expect(a.buckets[1]!.installations).toEqual({ count: 0, estimated: false });
    }
  });

  it('the range estimate does not depend on how ids spread over buckets', async () => {
    const spread = Array.from({ length: 25_000 }, (_, i) => line(T0 + (i % 3) * D, 'e', { installation_id: `x${i}` }));
    const together = spread.map((l) => ({ ...l, ts: new Date(T0).toISOString() }));
    const a = await computeInsights(q(), spread);
    const b = await computeInsights(q(), together);
    expect(a.installations).toEqual(b.installations);
    expect(a.buckets.every((bk) => !bk.installations.estimated)).toBe(true); // ~8,333 per bucket: exact
    expect(a.installations.estimated).toBe(true);
  });
});

// Random lines over a few days, events, details values and installations.
const arbLine = fc
  .record({
    offset: fc.integer({ min: -2 * D, max: 12 * D }),
    event: fc.constantFrom('app_start', 'command', 'crash', 'migration_failed', 'other', 'x_failed'),
    level: fc.option(fc.constantFrom('warn', 'error', 'debug', 'bogus'), { nil: undefined }),
    dep: fc.option(fc.constantFrom('d1', 'd2', ''), { nil: undefined }),
    inst: fc.option(fc.constantFrom('i1', 'i2', 'i3', 'i4', 'i5'), { nil: undefined }),
    version: fc.option(fc.oneof(fc.constantFrom('1.0', '1.1', '2.0', '(none)'), fc.integer({ min: 0, max: 3 }), fc.boolean(), fc.constant(null)), { nil: undefined }),
  })
  .map(({ offset, event, level, dep, inst, version }): TelemetryLine => {
    const l: TelemetryLine = { ts: new Date(T0 + offset).toISOString(), scenario: 'app', event };
    if (level !== undefined) l.level = level;
    if (dep !== undefined) l.deployment_id = dep;
    if (inst !== undefined) l.installation_id = inst;
    if (version !== undefined) l.details = { version };
    return l;
  });

const arbQuery = fc
  .record({
    from: fc.integer({ min: -3 * D, max: 5 * D }),
    span: fc.integer({ min: 1, max: 10 * D }),
    bucket: fc.constantFrom('hour' as const, 'day' as const, 'week' as const),
    by: fc.constantFrom('event', 'level', 'deployment_id', 'version', 'missing'),
    top: fc.integer({ min: 1, max: 8 }),
    event: fc.option(fc.constantFrom('app_start', 'command', 'crash', 'nope'), { nil: undefined }),
  })
  .map(({ from, span, bucket, by, top, event }): InsightsQuery => {
    const query: InsightsQuery = { scenario: 'app', from: T0 + from, to: T0 + from + span, bucket, by, top };
    if (event !== undefined) query.event = event;
    return query;
  });

describe('computeInsights: properties', () => {
  it('sum of bucket totals = total_events = sum of totals; bucket counts add up to the bucket total', async () => {
    await fc.assert(
      fc.asyncProperty(arbQuery, fc.array(arbLine, { maxLength: 60 }), async (query, lines) => {
        const a = await computeInsights(query, lines);
        const sum = (xs: number[]): number => xs.reduce((s, x) => s + x, 0);
        expect(sum(a.buckets.map((b) => b.total))).toBe(a.total_events);
        expect(sum(Object.values(a.totals))).toBe(a.total_events);
        expect(sum(a.buckets.map((b) => b.failures))).toBe(a.failures);
        for (const b of a.buckets) {
          // Key order is not rank order (JSON objects list integer-like keys first): `groups` gives the order.
          expect(Object.keys(b.counts).sort()).toEqual([...a.groups].sort());
          expect(sum(Object.values(b.counts))).toBe(b.total);
        }
        expect(Object.keys(a.totals).sort()).toEqual([...a.groups].sort());
        expect(a.groups.filter((g) => g !== OTHER_GROUP).length).toBeLessThanOrEqual(query.top);
        if (a.groups.includes(OTHER_GROUP)) expect(a.groups[a.groups.length - 1]).toBe(OTHER_GROUP);
      }),
      { numRuns: 300 },
    );
  });

  it('equals a brute-force count per bucket and group (no folding: top above the group count)', async () => {
    await fc.assert(
      fc.asyncProperty(arbQuery, fc.array(arbLine, { maxLength: 60 }), async (query0, lines) => {
        const query = { ...query0, top: 100 };
        const a = await computeInsights(query, lines);
        const starts = bucketStarts(query.from, query.to, query.bucket);
        expect(a.buckets.map((b) => Date.parse(b.start))).toEqual(starts);
        const kept = lines.filter((l) => {
          const ms = Date.parse(l.ts);
          return ms >= query.from && ms < query.to && (query.event === undefined || l.event === query.event);
        });
        for (const [i, start] of starts.entries()) {
          const inBucket = kept.filter((l) => bucketStart(Date.parse(l.ts), query.bucket) === start);
          const row = a.buckets[i]!;
          expect(row.total).toBe(inBucket.length);
          for (const g of a.groups) {
            const expected = inBucket.filter((l) => groupOf(l, query.by) === g).length;
            expect(row.counts[g]).toBe(expected);
          }
          expect(row.installations.count).toBe(new Set(inBucket.flatMap((l) => (l.installation_id === undefined ? [] : [l.installation_id]))).size);
        }
        expect(a.installations.count).toBe(new Set(kept.flatMap((l) => (l.installation_id === undefined ? [] : [l.installation_id]))).size);
      }),
      { numRuns: 300 },
    );
  });

  it('the order of lines does not matter', async () => {
    await fc.assert(
      fc.asyncProperty(arbQuery, fc.array(arbLine, { maxLength: 40 }), fc.integer(), async (query, lines, seed) => {
        const shuffled = [...lines].sort((x, y) => ((x.ts.length * 31 + seed) % 7) - ((y.ts.length * 17 + seed) % 5));
        expect(await computeInsights(query, shuffled)).toEqual(await computeInsights(query, [...lines].reverse()));
      }),
      { numRuns: 100 },
    );
  });

  it('week buckets start on a Monday at 00:00Z; every bucket overlaps [from, to)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 4e12 }), fc.integer({ min: 1, max: 400 * D }), (from, span) => {
        const starts = bucketStarts(from, from + span, 'week');
        for (const s of starts) {
          const d = new Date(s);
          expect(d.getUTCDay()).toBe(1);
          expect(d.getUTCHours() + d.getUTCMinutes() + d.getUTCSeconds() + d.getUTCMilliseconds()).toBe(0);
        }
        expect(starts[0]!).toBeLessThanOrEqual(from);
        expect(starts[0]! + 7 * D).toBeGreaterThan(from);
        expect(starts[starts.length - 1]!).toBeLessThan(from + span);
      }),
    );
  });
});
