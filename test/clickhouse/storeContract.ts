/**
 * The collector store contract (collector/stores/TelemetryStore.ts) as one suite of cases that every store
 * implementation must pass: store-contract.test.ts runs it, unchanged, against the JSONL store and the ClickHouse
 * store.
 */
import { SeverityNumber } from '../../core/logTypes.js';
import { serializeFields } from '../../core/line.js';
import { millisToHrTime } from '../../core/time.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { TelemetryLine } from '../../core/record.js';
import type { StoreEvent, TelemetryStore } from '../../collector/stores/TelemetryStore.js';
import { insightsContract } from './insightsContract.js';

export interface CommonStoreOptions {
  environment?: string;
  failureEvents?: readonly string[];
  recentFailures?: number;
  dedupWindow?: number;
  maxEventBytes?: number;
  maxScenarios?: number;
}

/** A store implementation under test: `fresh()` gives empty backing storage and a maker of stores over it. */
export interface StoreUnderTest {
  name: string;
  fresh(): Promise<{ make(options?: CommonStoreOptions): TelemetryStore; cleanup(): Promise<void> }>;
}

export const T0 = Date.UTC(2025, 0, 15, 12, 0, 0, 0);
const UUIDV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export async function collect(store: TelemetryStore, q: Parameters<TelemetryStore['query']>[0]): Promise<TelemetryLine[]> {
  const out: TelemetryLine[] = [];
  for await (const line of store.query(q)) out.push(line);
  return out;
}

export function ev(scenario: string, event: string, msAfterT0: number, extra: Partial<StoreEvent> = {}): StoreEvent {
  return { scenario, event, timestamp: T0 + msAfterT0, ...extra };
}

const iso = (msAfterT0: number): string => new Date(T0 + msAfterT0).toISOString();

export function storeContract(sut: StoreUnderTest): void {
  describe(`store contract: ${sut.name}`, () => {
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
    /** Close `s` and open another store over the same data (a collector restart). */
    async function reopen(make: (o?: CommonStoreOptions) => Promise<TelemetryStore>, s: TelemetryStore, options?: CommonStoreOptions): Promise<TelemetryStore> {
      await s.close();
      return make(options);
    }

    it('stores events as JSONL lines and returns them in stored order (not time order)', async () => {
      const make = await fresh();
      const s = await make();
      const r = await s.append([
        ev('shop', 'app_start', 50, { id: 'e-1', deploymentId: 'dep-1', details: { version: '1.0.0', nested: { a: [1, 'x'] } } }),
        ev('shop', 'page_view', 10, { id: 'e-2', details: { path: '/ü/"quoted"\n' } }),
        ev('shop', 'slow', 20, { id: 'e-3', severityNumber: SeverityNumber.WARN, details: {} }),
        ev('shop', 'no_id', 30, { deploymentId: '' }),
      ]);
      expect(r).toEqual({ stored: 4, duplicates: 0, dropped: 0, rejections: [] });
      const lines = await collect(s, { scenario: 'shop' });
      expect(lines.map((l) => l.id).slice(0, 3)).toEqual(['e-1', 'e-2', 'e-3']);
      expect(lines[3]!.id).toMatch(UUIDV7);
      // Exactly the serialiser's lines: same keys, same order.
      expect(lines.map((l) => JSON.stringify(l))).toEqual([
        `{"ts":"${iso(50)}","scenario":"shop","deployment_id":"dep-1","event":"app_start","details":{"version":"1.0.0","nested":{"a":[1,"x"]}},"id":"e-1"}`,
        `{"ts":"${iso(10)}","scenario":"shop","event":"page_view","details":{"path":"/ü/\\"quoted\\"\\n"},"id":"e-2"}`,
        `{"ts":"${iso(20)}","scenario":"shop","event":"slow","level":"warn","id":"e-3"}`,
        `{"ts":"${iso(30)}","scenario":"shop","deployment_id":"","event":"no_id","id":"${lines[3]!.id}"}`,
      ]);
    });

    it('returns awkward text exactly as the serialiser wrote it: escapes, tabs, non-ASCII, long fields', async () => {
      const make = await fresh();
      const s = await make();
      const long = 'x'.repeat(150) + 'é'.repeat(20_000);
      const events = [
        ev('text', 'ünïcødé 🎉 \u2028', 1, { id: 'tab\there "q" \\ \n', deploymentId: 'dép\t1', installationId: long, details: { 'k\'ey': 'vä\tl\r', emoji: '🎉', n: -1.5e-7, deep: { a: ['\\N', null] } } }),
        ev('text', 'long', 2, { id: 'l-1', details: { big: long } }),
      ];
      expect(await s.append(events)).toEqual({ stored: 2, duplicates: 0, dropped: 0, rejections: [] });
      const lines = (await collect(s, { scenario: 'text' })).map((l) => JSON.stringify(l) + '\n');
      expect(lines).toEqual(events.map((e) => serializeFields({ scenario: e.scenario, event: e.event, hrTime: millisToHrTime(e.timestamp), deploymentId: e.deploymentId, installationId: e.installationId, id: e.id, severityNumber: e.severityNumber ?? SeverityNumber.INFO, details: e.details }).line));
    });

    it('keeps installation_id top-level, right after deployment_id; events without it have none', async () => {
      const make = await fresh();
      let s = await make();
      const inst = '8343cc7a-8ad1-42d4-97d2-43452c0bdfa3';
      const r = await s.append([
        ev('inst', 'app_start', 1, { id: 'i-1', deploymentId: 'dep-1', installationId: inst, details: { a: 1 } }),
        ev('inst', 'usage_report', 2, { id: 'i-2', installationId: 'other-install', severityNumber: SeverityNumber.WARN }),
        ev('inst', 'old', 3, { id: 'i-3' }),
      ]);
      expect(r).toEqual({ stored: 3, duplicates: 0, dropped: 0, rejections: [] });
      const expected = [
        `{"ts":"${iso(1)}","scenario":"inst","deployment_id":"dep-1","installation_id":"${inst}","event":"app_start","details":{"a":1},"id":"i-1"}`,
        `{"ts":"${iso(2)}","scenario":"inst","installation_id":"other-install","event":"usage_report","level":"warn","id":"i-2"}`,
        `{"ts":"${iso(3)}","scenario":"inst","event":"old","id":"i-3"}`,
      ];
      expect((await collect(s, { scenario: 'inst' })).map((l) => JSON.stringify(l))).toEqual(expected);
      s = await reopen(make, s);
      expect((await collect(s, { scenario: 'inst' })).map((l) => JSON.stringify(l))).toEqual(expected);
    });

    it('acknowledges duplicates by id without storing them twice: in one call, in later calls, after a restart', async () => {
      const make = await fresh();
      let s = await make();
      expect(await s.append([ev('shop', 'a', 1, { id: 'd-1' }), ev('shop', 'a', 1, { id: 'd-1' }), ev('shop', 'b', 2, { id: 'd-2' })])).toEqual({ stored: 2, duplicates: 1, dropped: 0, rejections: [] });
      expect(await s.append([ev('shop', 'a', 1, { id: 'd-1' }), ev('shop', 'c', 3, { id: 'd-3' })])).toEqual({ stored: 1, duplicates: 1, dropped: 0, rejections: [] });
      // Concurrent appends of the same event (a client retrying while its first request is in flight).
      const both = await Promise.all([s.append([ev('shop', 'e', 5, { id: 'd-5' })]), s.append([ev('shop', 'e', 5, { id: 'd-5' })])]);
      expect(both.map((r) => r.stored).sort()).toEqual([0, 1]);
      expect(both.map((r) => r.duplicates).sort()).toEqual([0, 1]);
      // The same id in another scenario is another event.
      expect(await s.append([ev('other', 'a', 1, { id: 'd-1' })])).toMatchObject({ stored: 1, duplicates: 0 });
      s = await reopen(make, s);
      expect(await s.append([ev('shop', 'a', 1, { id: 'd-1' }), ev('shop', 'd', 4, { id: 'd-4' })])).toEqual({ stored: 1, duplicates: 1, dropped: 0, rejections: [] });
      expect((await collect(s, { scenario: 'shop' })).map((l) => l.id)).toEqual(['d-1', 'd-2', 'd-3', 'd-5', 'd-4']);
      expect((await s.summary('shop'))!.total_events).toBe(5);
    });

    it('never de-duplicates events without an id', async () => {
      const make = await fresh();
      const s = await make();
      expect(await s.append([ev('shop', 'a', 1), ev('shop', 'a', 1)])).toMatchObject({ stored: 2, duplicates: 0 });
      const lines = await collect(s, { scenario: 'shop' });
      expect(lines).toHaveLength(2);
      expect(lines[0]!.id).not.toBe(lines[1]!.id);
    });

    it('refuses what the rules refuse, naming each by index, and stores the rest', async () => {
      const make = await fresh();
      const s = await make({ environment: 'development', maxEventBytes: 1024, maxScenarios: 2 });
      const r = await s.append([
        ev('shop', 'ok', 1, { id: 'r-0' }),
        ev('shop', 'crash', 2, { id: 'r-1', severityNumber: SeverityNumber.FATAL }),
        ev('shop', 'big', 3, { id: 'r-2', details: { blob: 'x'.repeat(2000) } }),
        ev('../etc', 'evil', 4, { id: 'r-3' }),
        ev('second', 'ok', 5, { id: 'r-4' }),
        ev('third', 'ok', 6, { id: 'r-5' }),
        ev('shop', 'ok', 7, { id: 'r-6' }),
      ]);
      expect(r.stored).toBe(3);
      expect(r.dropped).toBe(4);
      expect(r.rejections.map((x) => [x.index, x.code])).toEqual([
        [1, 'OPT_ERR_NOT_RECORDED'],
        [2, 'OPT_ERR_EVENT_TOO_LARGE'],
        [3, 'OPT_ERR_SCENARIO'],
        [5, 'OPT_ERR_SCENARIO_LIMIT'],
      ]);
      expect((await s.summaries()).map((x) => [x.scenario, x.total_events])).toEqual([
        ['second', 1],
        ['shop', 2],
      ]);
    });

    it('keeps exact summaries (totals, newest time, failure counts, newest 10 failures) and shows the same after a restart', async () => {
      const make = await fresh();
      let s = await make();
      const events: StoreEvent[] = [ev('picker', 'app_start', 0, { id: 'p-0', details: { version: '1.0.0' } })];
      // 12 failures, stored out of time order; two pairs share a timestamp (the later stored comes first).
      const times = [100, 300, 200, 500, 400, 700, 600, 900, 800, 1000, 1000, 650];
      times.forEach((t, i) => events.push(ev('picker', i % 3 === 0 ? 'dependency_unreachable' : i % 3 === 1 ? 'migration_failed' : 'crash', t, { id: `f-${i}`, details: i % 2 === 0 ? { attempt: i } : undefined })));
      events.push(ev('picker', 'app_stop', 950, { id: 'p-1' }));
      events.push(ev('alpha', 'app_start', 5, { id: 'a-0' }));
      // Stored across several appends, as several uploads would.
      expect((await s.append(events.slice(0, 5))).stored).toBe(5);
      expect((await s.append(events.slice(5))).stored).toBe(events.length - 5);
      const expected = [
        { scenario: 'alpha', total_events: 1, last_event: iso(5), failure_counts: {}, recent_failures: [] },
        {
          scenario: 'picker',
          total_events: 14,
          last_event: iso(1000),
          failure_counts: { crash: 4, dependency_unreachable: 4, migration_failed: 4 },
          recent_failures: [
            { timestamp: iso(1000), event: 'migration_failed', details: { attempt: 10 } },
            { timestamp: iso(1000), event: 'dependency_unreachable' },
            { timestamp: iso(900), event: 'migration_failed' },
            { timestamp: iso(800), event: 'crash', details: { attempt: 8 } },
            { timestamp: iso(700), event: 'crash' },
            { timestamp: iso(650), event: 'crash' },
            { timestamp: iso(600), event: 'dependency_unreachable', details: { attempt: 6 } },
            { timestamp: iso(500), event: 'dependency_unreachable' },
            { timestamp: iso(400), event: 'migration_failed', details: { attempt: 4 } },
            { timestamp: iso(300), event: 'migration_failed' },
          ],
        },
      ];
      const got = await s.summaries();
      // Compared as JSON text too: key order is part of what clients see.
      expect(JSON.stringify(got)).toBe(JSON.stringify(expected));
      expect(await s.summary('picker')).toEqual(got[1]);
      s = await reopen(make, s);
      expect(await s.summaries()).toEqual(got);
      expect(JSON.stringify(await s.summaries())).toBe(JSON.stringify(got));
    });

    it('lists as many recent failures as configured and only the configured failure events', async () => {
      const make = await fresh();
      const s = await make({ recentFailures: 2, failureEvents: ['boom'] });
      await s.append([ev('x', 'boom', 1, { id: 'b1' }), ev('x', 'crash', 9, { id: 'c1' }), ev('x', 'boom', 3, { id: 'b2' }), ev('x', 'boom', 2, { id: 'b3' })]);
      const x = (await s.summary('x'))!;
      expect(x.failure_counts).toEqual({ boom: 3 });
      expect(x.recent_failures).toEqual([
        { timestamp: iso(3), event: 'boom' },
        { timestamp: iso(2), event: 'boom' },
      ]);
    });

    it('shows small failure details whole in summaries and large ones as a marker (the line keeps them whole)', async () => {
      const make = await fresh();
      const s = await make();
      const big = { log: 'x'.repeat(5000) };
      await s.append([ev('d', 'crash', 1, { id: 'big', details: big }), ev('d', 'crash', 2, { id: 'small', details: { a: 1 } })]);
      expect((await s.summary('d'))!.recent_failures).toEqual([
        { timestamp: iso(2), event: 'crash', details: { a: 1 } },
        { timestamp: iso(1), event: 'crash', details: { _truncated: true, _chars: JSON.stringify(big).length } },
      ]);
      expect((await collect(s, { scenario: 'd', limit: 1 }))[0]!.details).toEqual(big);
    });

    it('answers undefined for an unknown or unsafe scenario, and an empty list with no events', async () => {
      const make = await fresh();
      const s = await make();
      expect(await s.summaries()).toEqual([]);
      expect(await s.summary('nope')).toBeUndefined();
      expect(await s.summary('../etc')).toBeUndefined();
      expect(await collect(s, { scenario: 'nope' })).toEqual([]);
      expect(await collect(s, { scenario: '../etc' })).toEqual([]);
    });

    it('filters queries by time (since inclusive, until exclusive), event and limit', async () => {
      const make = await fresh();
      const s = await make();
      await s.append([0, 10, 20, 30, 40].map((t, i) => ev('q', i % 2 === 0 ? 'even' : 'odd', t, { id: `q-${i}` })));
      await s.append([ev('other', 'even', 20, { id: 'o-1' })]);
      const ids = async (q: Omit<Parameters<TelemetryStore['query']>[0], 'scenario'>): Promise<string[]> => (await collect(s, { scenario: 'q', ...q })).map((l) => l.id!);
      expect(await ids({})).toEqual(['q-0', 'q-1', 'q-2', 'q-3', 'q-4']);
      expect(await ids({ since: T0 + 10 })).toEqual(['q-1', 'q-2', 'q-3', 'q-4']);
      expect(await ids({ until: T0 + 30 })).toEqual(['q-0', 'q-1', 'q-2']);
      expect(await ids({ since: T0 + 10, until: T0 + 30 })).toEqual(['q-1', 'q-2']);
      expect(await ids({ event: 'even' })).toEqual(['q-0', 'q-2', 'q-4']);
      expect(await ids({ event: 'even', since: T0 + 1 })).toEqual(['q-2', 'q-4']);
      expect(await ids({ limit: 2 })).toEqual(['q-0', 'q-1']);
      expect(await ids({ limit: 0 })).toEqual([]);
      expect(await ids({ event: 'none' })).toEqual([]);
      expect(await ids({ event: "even' OR 1=1 --" })).toEqual([]);
    });

    it('closes idempotently and refuses appends after close', async () => {
      const make = await fresh();
      const s = await make();
      await s.append([ev('c', 'a', 1, { id: 'c-1' })]);
      await s.flush();
      await Promise.all([s.close(), s.close()]);
      await s.close();
      await expect(s.append([ev('c', 'a', 2)])).rejects.toMatchObject({ code: 'OPT_ERR_STORE' });
    });
  });
  insightsContract(sut);
}
