/**
 * The insights part of the store contract (storeContract.ts runs it for every store): a store's `insights` equals
 * `computeInsights` (the reference, query/insights/compute.ts) over the store's own stored lines, for every grouping,
 * top/other, the event filter, every bucket size, empty buckets, ranges on and off bucket boundaries, installations
 * exact and estimated, before and after a restart. Since every store's stored lines are the same for the same
 * appends (the rest of the contract), stores that pass this give identical answers; store-contract.test.ts also
 * compares the JSONL and ClickHouse answers directly.
 */
import { SeverityNumber } from '../../core/logTypes.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { StoreEvent, TelemetryStore } from '../../collector/stores/TelemetryStore.js';
import { computeInsights } from '../../query/insights/compute.js';
import { parseInsightsParams } from '../../query/insights/params.js';
import { EXACT_INSTALLATIONS_LIMIT, NO_GROUP, OTHER_GROUP, type InsightsQuery } from '../../query/insights/types.js';
import { collect, ev, T0, type CommonStoreOptions, type StoreUnderTest } from './storeContract.js';

const H = 3_600_000;
const D = 86_400_000;

/** 400 events of one scenario over the 20 days before T0, every field varied. */
export function insightsFixture(scenario: string): StoreEvent[] {
  const events: StoreEvent[] = [];
  for (let i = 0; i < 400; i++) {
    const event = ['app_start', 'command', 'command', 'crash', 'migration_failed', 'other', 'x_failed'][i % 7]!;
    const extra: Partial<StoreEvent> = { id: `ins-${i}` };
    if (i % 3 !== 0) extra.installationId = `inst-${i % 23}`;
    if (i % 5 === 0) extra.deploymentId = `dep-${i % 3}`;
    if (i % 11 === 0) extra.severityNumber = SeverityNumber.WARN;
    if (event === 'crash') extra.severityNumber = SeverityNumber.FATAL;
    if (i % 4 !== 3) {
      const version = [`1.${i % 3}.0`, i % 3, i % 2 === 0, '(none)', { major: 1 }][i % 5];
      extra.details = { version, platform: ['linux', 'darwin', 'win32'][i % 3], arch: i % 2 ? 'x64' : 'arm64' };
    }
    events.push(ev(scenario, event, -((i * 4_111_117) % (20 * D)), extra));
  }
  return events;
}

export function insightsContract(sut: StoreUnderTest): void {
  describe(`insights contract: ${sut.name}`, () => {
    const open: TelemetryStore[] = [];
    let cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
      for (const c of cleanups) await c();
      cleanups = [];
    });
    async function fresh(): Promise<(options?: CommonStoreOptions) => Promise<TelemetryStore>> {
      const f = await sut.fresh();
      cleanups.push(f.cleanup);
      return async (options) => {
        const s = f.make(options);
        open.push(s);
        await s.open();
        return s;
      };
    }
    const reference = async (s: TelemetryStore, q: InsightsQuery, failureEvents?: readonly string[]) => computeInsights(q, await collect(s, { scenario: q.scenario }), { failureEvents });

    /** Queries over the fixture's range: every grouping, bucket, top and the event filter, whole buckets and not. */
    function queries(scenario: string): InsightsQuery[] {
      const out: InsightsQuery[] = [];
      for (const by of ['event', 'level', 'deployment_id', 'version', 'platform', 'arch', 'missing']) {
        for (const bucket of ['hour', 'day', 'week'] as const) {
          // As the route parses them (whole buckets), and as code may pass them (any millisecond).
          const whole = parseInsightsParams(scenario, { from: '21d', to: '0d', bucket, by }, T0 + 1);
          out.push(whole, { ...whole, top: 1, event: 'command' }, { ...whole, top: 3, from: T0 - 9 * D - 12_345, to: T0 - 2 * D + 777 });
        }
      }
      return out;
    }

    it('answers what computeInsights computes from its stored lines, for every grouping, bucket, top and event filter; the same after a restart', async () => {
      const make = await fresh();
      let s = await make();
      const events = insightsFixture('ins');
      expect((await s.append(events.slice(0, 150))).stored).toBe(150);
      expect((await s.append([...events.slice(150), ev('ins-other', 'app_start', -D, { id: 'o-1', installationId: 'z' })])).stored).toBe(251);
      const qs = queries('ins');
      const first: unknown[] = [];
      for (const q of qs) {
        const got = await s.insights(q);
        expect(got, JSON.stringify(q)).toEqual(await reference(s, q));
        first.push(got);
      }
      // Not vacuous: the by-event answer over the whole range, checked against a count of the fixture itself.
      const all = (await s.insights(parseInsightsParams('ins', { from: '30d', to: '0d' }, T0 + 1)))!;
      expect(all.total_events).toBe(400);
      expect(all.installations).toEqual({ count: 23, estimated: false });
      expect(all.failures).toBe(events.filter((e) => e.event === 'crash' || e.event === 'migration_failed').length);
      expect(all.buckets.map((b) => b.total).reduce((a, b) => a + b, 0)).toBe(400);
      const byVersion = await s.insights(parseInsightsParams('ins', { from: '30d', to: '0d', by: 'version', top: '2' }, T0 + 1));
      expect(byVersion.groups).toEqual([expect.any(String), expect.any(String), OTHER_GROUP]);
      expect(Object.keys(byVersion.totals)).toContain(byVersion.groups[0]);
      const all2 = await s.insights(parseInsightsParams('ins', { from: '30d', to: '0d', by: 'version', top: '100' }, T0 + 1));
      expect(all2.totals[NO_GROUP]).toBe(events.filter((e) => !e.details || ['(none)'].includes(e.details.version as string) || typeof e.details.version === 'object').length);

      await s.close();
      s = await make();
      for (const [i, q] of qs.entries()) expect(await s.insights(q), JSON.stringify(q)).toEqual(first[i]);
    });

    it('lists every bucket of the range, empty ones included, and answers a scenario it does not have with no events', async () => {
      const make = await fresh();
      const s = await make();
      await s.append([ev('sparse', 'a', -5 * D, { id: 's-1', installationId: 'i' }), ev('sparse', 'a', -1 * D, { id: 's-2' })]);
      const q = parseInsightsParams('sparse', { from: '7d', to: '0d' }, T0 + 1);
      const got = await s.insights(q);
      expect(got).toEqual(await reference(s, q));
      expect(got.buckets).toHaveLength(8); // 7 days widened to whole days: T0 is at noon
      expect(got.buckets.map((b) => b.total)).toEqual([0, 0, 1, 0, 0, 0, 1, 0]);
      const none = await s.insights({ ...q, scenario: 'nope' });
      expect(none).toMatchObject({ scenario: 'nope', total_events: 0, groups: [], totals: {}, installations: { count: 0, estimated: false }, failures: 0 });
      expect(none.buckets).toHaveLength(8);
    });

    it('counts installations exactly up to the limit, then an estimate marked estimated (the reference HyperLogLog)', async () => {
      const make = await fresh();
      const s = await make();
      const n = EXACT_INSTALLATIONS_LIMIT + 300;
      const events: StoreEvent[] = [];
      for (let i = 0; i < n; i++) events.push(ev('many', i % 2 ? 'a' : 'b', -((i % 48) * H + 1), { id: `m-${i}`, installationId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` }));
      expect((await s.append(events)).stored).toBe(n);
      for (const q of [parseInsightsParams('many', { from: '3d', to: '0d' }, T0 + 1), parseInsightsParams('many', { from: '3d', to: '0d', bucket: 'week', event: 'a' }, T0 + 1)]) {
        const got = await s.insights(q);
        expect(got).toEqual(await reference(s, q));
        const distinct = q.event === 'a' ? Math.floor(n / 2) : n;
        expect(got.installations.estimated).toBe(distinct > EXACT_INSTALLATIONS_LIMIT);
        expect(Math.abs(got.installations.count - distinct) / distinct).toBeLessThan(0.02);
      }
    });

    it('counts the configured failure events; refuses a bad query naming the field', async () => {
      const make = await fresh();
      const s = await make({ failureEvents: ['boom'] });
      await s.append([ev('f', 'boom', -H, { id: 'f-1' }), ev('f', 'crash', -H, { id: 'f-2' }), ev('f', 'boom', -2 * D, { id: 'f-3' })]);
      const q = parseInsightsParams('f', { from: '3d', to: '0d' }, T0 + 1);
      const got = await s.insights(q);
      expect(got).toEqual(await reference(s, q, ['boom']));
      expect(got.failures).toBe(2);
      await expect(s.insights({ ...q, top: 0 })).rejects.toMatchObject({ field: 'top', statusCode: 400 });
      await expect(s.insights({ ...q, from: q.to })).rejects.toMatchObject({ field: 'from', statusCode: 400 });
      await expect(s.insights({ ...q, bucket: 'minute' })).rejects.toMatchObject({ field: 'bucket', statusCode: 400 });
    });

    it('groups by a details key by the top-level rule: a nested key of the same name is no value, numbers and booleans as text, objects and null are "(none)", "" its own group', async () => {
      const make = await fresh();
      const s = await make();
      const details: Record<string, unknown>[] = [
        { version: '2.0.0', platform: 'linux' },
        { meta: { version: 'nested' }, platform: { os: 'linux' } },
        { version: 2, platform: true },
        { version: 2.5, platform: false },
        { version: '2', platform: 'true' },
        { version: { major: 2 }, platform: null },
        { version: ['2.0.0'], platform: [] },
        { version: '', platform: '(none)' },
        { version: 'other', platform: 'ü\t\n\\ \'quoted\'' },
        { "it's": 'x\ty', 'ü': 1e21 },
      ];
      const events = details.map((d, i) => ev('keys', i % 2 ? 'command' : 'crash', -((i + 1) * 3 * H), { id: `k-${i}`, installationId: `i-${i % 3}`, details: d }));
      events.push(ev('keys', 'command', -H, { id: 'k-none' }));
      expect((await s.append(events)).stored).toBe(events.length);
      for (const by of ['version', 'platform', 'meta', "it's", 'ü', 'major']) {
        for (const bucket of ['hour', 'day'] as const) {
          const q = parseInsightsParams('keys', { from: '3d', to: '0d', bucket, by, top: '100' }, T0 + 1);
          const got = await s.insights(q);
          expect(got, JSON.stringify(q)).toEqual(await reference(s, q));
        }
      }
      // Not vacuous: the answer by version, counted from the fixture by hand.
      const byVersion = await s.insights(parseInsightsParams('keys', { from: '3d', to: '0d', by: 'version', top: '100' }, T0 + 1));
      expect(byVersion.totals).toEqual({ '2.0.0': 1, '2': 2, '2.5': 1, '': 1, other: 1, [NO_GROUP]: 5 });
      expect(byVersion.groups.at(-1)).toBe(OTHER_GROUP);
      const byPlatform = await s.insights(parseInsightsParams('keys', { from: '3d', to: '0d', by: 'platform', top: '100' }, T0 + 1));
      expect(byPlatform.totals).toMatchObject({ linux: 1, true: 2, false: 1, [NO_GROUP]: 6 });
    });

    it('answers minute buckets of recent events', async () => {
      const make = await fresh();
      const s = await make();
      const now = Date.now();
      const events: StoreEvent[] = [];
      for (let i = 0; i < 120; i++) events.push({ scenario: 'live', event: i % 3 ? 'tick' : 'tock', timestamp: now - ((i * 37_000) % (90 * 60_000)), id: `l-${i}`, installationId: `i-${i % 7}`, details: { version: `v${i % 2}` } });
      await s.append(events);
      for (const p of [{ from: '1h', bucket: 'minute' }, { from: '2h', bucket: 'minute', by: 'version' }, { from: '3h', bucket: 'hour', by: 'level' }]) {
        const q = parseInsightsParams('live', p, now);
        const got = await s.insights(q);
        expect(got, JSON.stringify(p)).toEqual(await reference(s, q));
        expect(got.total_events).toBeGreaterThan(0);
      }
    });
  });
}
