/**
 * The ClickHouse store's early duplicate check (collector/stores/clickhouse/earlyLookup.ts) against a real server behind
 * a real proxy that orders the statements: the lookup of an append runs beside the INSERT before it, and its answer
 * is used only while it still holds — else the rows are looked up again just before their INSERT.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ClickHouseStore } from '../../collector/stores/clickhouse/ClickHouseStore.js';
import type { StoreEvent } from '../../collector/stores/TelemetryStore.js';
import { clickhouseSql, clickhouseUrl, dropDatabase, uniqueDatabase } from './clickhouse.js';
import { ClickHouseProxy } from './proxy.js';

const url = clickhouseUrl('earlyLookup.test.ts');
const database = uniqueDatabase('early');
let tables = 0;
const proxies: ClickHouseProxy[] = [];
const stores: ClickHouseStore[] = [];

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const p of proxies.splice(0)) await p.close();
});
afterAll(() => dropDatabase(url, database));

async function setup(dedupWindow?: number): Promise<{ proxy: ClickHouseProxy; store: ClickHouseStore; table: string }> {
  const proxy = await ClickHouseProxy.start(url!);
  proxies.push(proxy);
  const table = `events_${++tables}`;
  const store = new ClickHouseStore({ url: proxy.url, database, table, env: {}, backoffMs: 10, maxBackoffMs: 50, dedupWindow });
  stores.push(store);
  await store.open();
  return { proxy, store, table };
}

/** Rows in the table as stored, before any merge (no FINAL): duplicates would show here. */
async function rawCount(table: string): Promise<number> {
  return Number((await clickhouseSql(url!, `SELECT count() FROM ${database}.${table}`)).trim());
}

const isEventsInsert = (sql: string): boolean => /^INSERT INTO `[^`]+`\.`[^`]+` \(scenario, ts_ms, id,/.test(sql);
const isLookup = (sql: string): boolean => /^SELECT scenario, ts_ms, id FROM .* IN \(SELECT s, t, i FROM keys\)/.test(sql);

const event = (id: string): StoreEvent => ({ scenario: 'app', event: 'tick', timestamp: Date.UTC(2025, 0, 15, 12), id });

/**
 * Two appends of the same event (a client retrying while its first request is in flight), ordered by the proxy so that
 * the second one's early lookup is answered before the first one's INSERT reaches ClickHouse: that answer cannot see
 * the event.
 */
async function raceSameEvent(proxy: ClickHouseProxy, store: ClickHouseStore, id: string): Promise<{ stored: number; duplicates: number }> {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let inserts = 0;
  let lookups = 0;
  proxy.gate = (sql) => (isEventsInsert(sql) && inserts++ === 0 ? held : undefined);
  proxy.onAnswered = (sql) => {
    if (isLookup(sql) && ++lookups === 2) release();
  };
  const results = await Promise.all([store.append([event(id)]), store.append([event(id)])]);
  return { stored: results[0]!.stored + results[1]!.stored, duplicates: results[0]!.duplicates + results[1]!.duplicates };
}

describe.skipIf(url === undefined)('ClickHouse store: early duplicate lookups', () => {
  it('with no window to cover the INSERT that landed after an early answer, looks the rows up again: stored once', async () => {
    const { proxy, store, table } = await setup(0);
    expect(await raceSameEvent(proxy, store, 'race-1')).toEqual({ stored: 1, duplicates: 1 });
    expect(await rawCount(table)).toBe(1);
    // The first append's early lookup, the second's (answered before the INSERT), and the second's lookup again.
    expect(proxy.requests.filter((r) => isLookup(r.sql))).toHaveLength(3);
  });

  it('with a window, the early answer holds: the window catches the event, no second lookup', async () => {
    const { proxy, store, table } = await setup();
    expect(await raceSameEvent(proxy, store, 'race-2')).toEqual({ stored: 1, duplicates: 1 });
    expect(await rawCount(table)).toBe(1);
    expect(proxy.requests.filter((r) => isLookup(r.sql))).toHaveLength(2);
  });

  it('an early answer that found the event: acknowledged as a duplicate, not inserted', async () => {
    const { proxy, store, table } = await setup(0);
    expect(await store.append([event('old-1'), event('old-2')])).toMatchObject({ stored: 2, duplicates: 0 });
    const eventInserts = (): number => proxy.requests.filter((r) => isEventsInsert(r.sql)).length;
    const before = eventInserts();
    expect(await store.append([event('old-1'), event('new-1')])).toMatchObject({ stored: 1, duplicates: 1 });
    expect(await store.append([event('old-2')])).toMatchObject({ stored: 0, duplicates: 1 });
    expect(await rawCount(table)).toBe(3);
    // new-1's INSERT only: nothing is sent for an append whose every event was found.
    expect(eventInserts() - before).toBe(1);
  });

  it('when the early lookup fails, the rows are looked up (with retries) before their INSERT: stored once', async () => {
    const { proxy, store, table } = await setup(0);
    expect(await store.append([event('f-1')])).toMatchObject({ stored: 1 });
    let failed = 0;
    proxy.decide = (sql) => (isLookup(sql) && failed++ < 2 ? 'fail' : 'forward');
    // Early lookup fails; the precheck's first attempt fails too and its retry finds the event.
    expect(await store.append([event('f-1'), event('f-2')])).toEqual({ stored: 1, duplicates: 1, dropped: 0, rejections: [] });
    expect(failed).toBeGreaterThanOrEqual(3);
    expect(await rawCount(table)).toBe(2);
  });
});
