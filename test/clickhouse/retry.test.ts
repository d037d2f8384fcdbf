/**
 * Failure handling of the ClickHouse store against a real server behind a real failure-injecting proxy: the
 * uploader's retry rules (backoff on 5xx and network errors, no retry on other 4xx, a deadline), and the promise
 * that nothing acknowledged is lost and nothing is stored twice — also when ClickHouse executed an insert whose
 * answer never arrived, and when an early duplicate lookup was answered before an INSERT of the same event landed.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ClickHouseError } from '../../core/errors.js';
import { ClickHouseStore } from '../../collector/stores/clickhouse/ClickHouseStore.js';
import type { AppendResult, StoreEvent } from '../../collector/stores/TelemetryStore.js';
import { collector, request, upload } from '../server/setup.js';
import { clickhouseSql, clickhouseUrl, dropDatabase, uniqueDatabase } from './clickhouse.js';
import { ClickHouseProxy } from './proxy.js';

const url = clickhouseUrl('retry.test.ts');
const database = uniqueDatabase('retry');
let tables = 0;
const proxies: ClickHouseProxy[] = [];
const stores: ClickHouseStore[] = [];

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const p of proxies.splice(0)) await p.close();
});
afterAll(() => dropDatabase(url, database));

async function setup(options: { retryDeadlineMs?: number; dedupWindow?: number } = {}): Promise<{ proxy: ClickHouseProxy; store: ClickHouseStore; table: string }> {
  const proxy = await ClickHouseProxy.start(url!);
  proxies.push(proxy);
  const table = `events_${++tables}`;
  const store = new ClickHouseStore({ url: proxy.url, database, table, env: {}, backoffMs: 10, maxBackoffMs: 50, retryDeadlineMs: options.retryDeadlineMs ?? 10_000, dedupWindow: options.dedupWindow });
  stores.push(store);
  await store.open();
  return { proxy, store, table };
}

/** Rows in the table as stored, before any merge (no FINAL): duplicates would show here. */
async function rawCount(table: string): Promise<number> {
  return Number((await clickhouseSql(url!, `SELECT count() FROM ${database}.${table}`)).trim());
}

/** The events table's INSERT (not the rollup's, rollup.ts, which the store also writes). */
const isEventsInsert = (sql: string): boolean => /^INSERT INTO `[^`]+`\.`[^`]+` \(scenario, ts_ms, id,/.test(sql);
const eventsInsert = (table: string): string => `INSERT INTO \`${database}\`.\`${table}\` (`;

function events(n: number, prefix: string): StoreEvent[] {
  return Array.from({ length: n }, (_, i) => ({ scenario: 'app', event: i % 4 === 0 ? 'crash' : 'tick', timestamp: Date.UTC(2025, 0, 15, 12) + i, id: `${prefix}-${i}` }));
}

describe.skipIf(url === undefined)('ClickHouse store failures', () => {
  it('retries an INSERT answered 503 (backoff with jitter) and stores every event once', async () => {
    const { proxy, store, table } = await setup();
    let failures = 2;
    proxy.decide = (sql) => (isEventsInsert(sql) && failures-- > 0 ? 'fail' : 'forward');
    expect(await store.append(events(50, 'a'))).toEqual({ stored: 50, duplicates: 0, dropped: 0, rejections: [] });
    expect(proxy.count(eventsInsert(table))).toBe(3);
    expect(await rawCount(table)).toBe(50);
  });

  it('does not store twice an insert that ClickHouse executed but whose answer was lost', async () => {
    const { proxy, store, table } = await setup();
    let drops = 1;
    proxy.decide = (sql) => (isEventsInsert(sql) && drops-- > 0 ? 'forward-then-drop' : 'forward');
    expect(await store.append(events(40, 'b'))).toEqual({ stored: 40, duplicates: 0, dropped: 0, rejections: [] });
    // The retry looked the rows up, found them all, and sent no second INSERT.
    expect(proxy.count(eventsInsert(table))).toBe(1);
    expect(await rawCount(table)).toBe(40);
    expect((await store.summary('app'))!.total_events).toBe(40);
  });

  it('gives up after the retry deadline: the append fails, acknowledging nothing; the same events later are stored once', async () => {
    const { proxy, store, table } = await setup({ retryDeadlineMs: 300 });
    proxy.decide = (sql) => (isEventsInsert(sql) ? 'fail' : 'forward');
    const err = await store.append(events(10, 'c')).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ClickHouseError);
    expect((err as ClickHouseError).code).toBe('OPT_ERR_STORE');
    expect((err as ClickHouseError).message).toMatch(/failed after \d+ attempt\(s\).*TELEMETRY_CLICKHOUSE_RETRY_DEADLINE_MS=300/);
    expect(proxy.count(eventsInsert(table))).toBeGreaterThanOrEqual(2);
    expect(await rawCount(table)).toBe(0);
    proxy.decide = () => 'forward';
    expect(await store.append(events(10, 'c'))).toMatchObject({ stored: 10, duplicates: 0 });
    expect(await rawCount(table)).toBe(10);
  });

  it('groups appends into one INSERT (group commit) and one early lookup: those made together, and those that arrive while an INSERT runs; each answered for its own events', async () => {
    const { proxy, store, table } = await setup();
    const lookup = `SELECT scenario, ts_ms, id FROM \`${database}\`.\`${table}\` WHERE (scenario, ts_ms, id) IN`;
    const together = await Promise.all(Array.from({ length: 20 }, (_, i) => store.append(events(10, `t${i}`))));
    expect(together.every((r) => r.stored === 10 && r.duplicates === 0)).toBe(true);
    expect(proxy.count(eventsInsert(table))).toBe(1);
    // The duplicate check of those 20 appends: one lookup, not one for the first append and one for the rest.
    expect(proxy.count(lookup)).toBe(1);
    // 19 more appends arrive while the next INSERT (of one append) is on its way: they share the INSERT after it.
    let later: Promise<unknown>[] = [];
    proxy.gate = (sql) => {
      if (isEventsInsert(sql) && later.length === 0) later = Array.from({ length: 19 }, (_, i) => store.append(events(10, `g${i}`)));
      return undefined;
    };
    expect(await store.append(events(10, 'first'))).toMatchObject({ stored: 10 });
    const results = (await Promise.all(later)) as { stored: number; duplicates: number }[];
    expect(results.every((r) => r.stored === 10 && r.duplicates === 0)).toBe(true);
    expect(proxy.count(eventsInsert(table))).toBe(3);
    expect(await rawCount(table)).toBe(400);
  });

  it('fails to open, naming the server, when ClickHouse cannot be reached within the retry deadline', async () => {
    const proxy = await ClickHouseProxy.start(url!);
    proxies.push(proxy);
    proxy.decide = () => 'fail';
    const store = new ClickHouseStore({ url: proxy.url, database, table: 'never_created', env: {}, backoffMs: 10, maxBackoffMs: 20, retryDeadlineMs: 200 });
    const err = await store.open().then(() => undefined, (e: unknown) => e as Error);
    expect(err).toBeInstanceOf(ClickHouseError);
    expect(err!.message).toContain(`opening the ClickHouse store ${database}.never_created failed after`);
    expect(err!.message).toContain(proxy.url);
    await store.close();
  });

  it('does not retry a statement ClickHouse refuses (4xx)', async () => {
    const { proxy, store, table } = await setup();
    proxy.decide = (sql) => (isEventsInsert(sql) ? 'refuse' : 'forward');
    const err = await store.append(events(3, 'd')).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ClickHouseError);
    expect((err as ClickHouseError).retryable).toBe(false);
    expect((err as ClickHouseError).httpStatus).toBe(400);
    expect(proxy.count(eventsInsert(table))).toBe(1);
  });

  it('collector: an outage answers 503 with Retry-After; the client retry stores each event once, even when the lost answer hid a stored insert', async () => {
    const proxy = await ClickHouseProxy.start(url!);
    proxies.push(proxy);
    const table = `collector_${++tables}`;
    const c = await collector({
      store: 'clickhouse',
      env: {
        TELEMETRY_CLICKHOUSE_URL: proxy.url,
        TELEMETRY_CLICKHOUSE_DATABASE: database,
        TELEMETRY_CLICKHOUSE_TABLE: table,
        TELEMETRY_CLICKHOUSE_RETRY_DEADLINE_MS: '300',
        TELEMETRY_CLICKHOUSE_BACKOFF_MS: '10',
      },
    });
    expect(c.store.kind).toBe('clickhouse');
    const body = events(20, 'e').map((e) => ({ scenario: e.scenario, event: e.event, timestamp: new Date(e.timestamp).toISOString(), id: e.id }));
    // ClickHouse executes every INSERT, but no answer gets back.
    // The first duplicate check (before the first INSERT) passes; the ones that would tell the retries what was stored
    // fail too, so the collector cannot know and must not acknowledge.
    let checks = 0;
    proxy.decide = (sql) => (isEventsInsert(sql) ? 'forward-then-drop' : sql.startsWith('SELECT scenario, ts_ms, id') && checks++ > 0 ? 'fail' : 'forward');
    const down = await upload(c, body);
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('5');
    expect(down.body).toMatchObject({ status: 'error', code: 'OPT_ERR_STORE' });
    expect(await rawCount(table)).toBe(20); // stored, though not acknowledged
    proxy.decide = () => 'forward';
    const retry = await upload(c, body);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual({ status: 'accepted', events_received: 20, events_stored: 0, events_duplicate: 20 });
    expect(await rawCount(table)).toBe(20);
    const summary = await request(`${c.url}/api/v1/telemetry/app`);
    expect(summary.body).toMatchObject({ scenario: 'app', total_events: 20, failure_counts: { crash: 5 } });
  });
});

const isLookup = (sql: string): boolean => /^SELECT scenario, ts_ms, id FROM .* IN \(SELECT s, t, i FROM keys\)/.test(sql);

const event = (id: string): StoreEvent => ({ scenario: 'app', event: 'tick', timestamp: Date.UTC(2025, 0, 15, 12), id });

/**
 * Two appends of the same event (a client retrying while its first request is in flight; the first may hold more
 * events), ordered by the proxy so that the second one's early lookup is answered before the first one's INSERT reaches
 * ClickHouse: that answer cannot see the event. `ahead`: the events of another append that arrives just before the
 * retry, so that both go in the next INSERT, those first.
 */
async function raceSameEvent(proxy: ClickHouseProxy, store: ClickHouseStore, id: string, first: StoreEvent[] = [event(id)], ahead?: StoreEvent[]): Promise<{ stored: number; duplicates: number }> {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let second: Promise<AppendResult> | undefined;
  let before: Promise<AppendResult> | undefined;
  let lookups = 0;
  // The retry arrives once the first INSERT is on its way, which waits until the retry's early lookup is answered.
  proxy.gate = (sql) => {
    if (!isEventsInsert(sql) || second !== undefined) return undefined;
    if (ahead !== undefined) before = store.append(ahead);
    second = store.append([event(id)]);
    return held;
  };
  proxy.onAnswered = (sql) => {
    if (isLookup(sql) && ++lookups === 2) release();
  };
  const one = await store.append(first);
  const other = await second!;
  const more = before === undefined ? { stored: 0, duplicates: 0 } : await before;
  return { stored: one.stored + other.stored + more.stored, duplicates: one.duplicates + other.duplicates + more.duplicates };
}

/**
 * The early duplicate check (collector/stores/clickhouse/earlyLookup.ts), with the proxy ordering the statements: the
 * lookup of an append runs beside the INSERT before it, and its answer is used only while it still holds — else the
 * rows are looked up again just before their INSERT.
 */
describe.skipIf(url === undefined)('ClickHouse store: early duplicate lookups', () => {
  it('with no window to cover the INSERT that landed after an early answer, looks the rows up again: stored once', async () => {
    const { proxy, store, table } = await setup({ dedupWindow: 0 });
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
    const { proxy, store, table } = await setup({ dedupWindow: 0 });
    expect(await store.append([event('old-1'), event('old-2')])).toMatchObject({ stored: 2, duplicates: 0 });
    const eventInserts = (): number => proxy.requests.filter((r) => isEventsInsert(r.sql)).length;
    const before = eventInserts();
    expect(await store.append([event('old-1'), event('new-1')])).toMatchObject({ stored: 1, duplicates: 1 });
    expect(await store.append([event('old-2')])).toMatchObject({ stored: 0, duplicates: 1 });
    expect(await rawCount(table)).toBe(3);
    // new-1's INSERT only: nothing is sent for an append whose every event was found.
    expect(eventInserts() - before).toBe(1);
  });

  it('an INSERT that failed after storing its rows voids the early answers sent before: the retry is looked up again, stored once', async () => {
    const { proxy, store, table } = await setup({ retryDeadlineMs: 300 });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let inserts = 0;
    let lookups = 0;
    let firstFailed = false;
    // The first INSERT waits until the second append's early lookup is answered, then lands but its answer is lost;
    // lookups after the two early ones, and INSERTs, fail until the first append has given up.
    let second: Promise<AppendResult> | undefined;
    proxy.gate = (sql) => {
      if (!isEventsInsert(sql) || inserts !== 1 || second !== undefined) return undefined;
      second = store.append([event('lost-answer')]);
      return held;
    };
    proxy.decide = (sql) => {
      if (isEventsInsert(sql)) return ++inserts === 1 ? 'forward-then-drop' : firstFailed ? 'forward' : 'fail';
      if (isLookup(sql)) return ++lookups <= 2 || firstFailed ? 'forward' : 'fail';
      return 'forward';
    };
    proxy.onAnswered = (sql) => {
      if (isLookup(sql) && lookups === 2) release();
    };
    const first = store.append([event('lost-answer')]);
    await expect(first).rejects.toBeInstanceOf(ClickHouseError);
    firstFailed = true;
    expect(await second!).toEqual({ stored: 0, duplicates: 1, dropped: 0, rejections: [] });
    expect(await rawCount(table)).toBe(1);
  });

  it('with a window smaller than the INSERT that landed after an early answer, looks the rows up again: stored once', async () => {
    // Six events in a window of four: the first two are gone from it when the retry of one of them is checked, and the
    // retry's early answer was given before their INSERT landed. Six additions since the answer, more than the window
    // holds: the answer no longer holds, and the retry is looked up again.
    const { proxy, store, table } = await setup({ dedupWindow: 4 });
    const six = Array.from({ length: 6 }, (_, i) => event(`w-${i}`));
    expect(await raceSameEvent(proxy, store, 'w-0', six)).toEqual({ stored: 6, duplicates: 1 });
    expect(await rawCount(table)).toBe(6);
    // The first append's early lookup, the retry's (answered before the INSERT landed), and the retry's again.
    expect(proxy.requests.filter((r) => isLookup(r.sql))).toHaveLength(3);
  });

  it('when the events checked ahead of a retry in its INSERT push the first copy out of the window, looks the retry up again: stored once', async () => {
    // A window of four. The first INSERT (the event and two others) lands after the retry's early answer; the retry's
    // INSERT holds two new events ahead of it, which the window takes in as it checks them, pushing the first copy out
    // before the retry is checked. The first copy was taken into the window before the retry's lookup was sent, but
    // landed after it: additions are counted from before the INSERT in flight, six in all, more than the window holds.
    // So the answer no longer holds, and the retry is looked up again.
    const { proxy, store, table } = await setup({ dedupWindow: 4 });
    const first = [event('pushed-out'), event('first-1'), event('first-2')];
    expect(await raceSameEvent(proxy, store, 'pushed-out', first, [event('ahead-1'), event('ahead-2')])).toEqual({ stored: 5, duplicates: 1 });
    expect(await rawCount(table)).toBe(5);
    // The first append's early lookup, the one the retry shares with the two ahead of it (answered before the first
    // INSERT landed), and the retry's again before its INSERT.
    expect(proxy.requests.filter((r) => isLookup(r.sql))).toHaveLength(3);
  });

  it('when the early lookup fails, the rows are looked up (with retries) before their INSERT: stored once', async () => {
    const { proxy, store, table } = await setup({ dedupWindow: 0 });
    expect(await store.append([event('f-1')])).toMatchObject({ stored: 1 });
    let failed = 0;
    proxy.decide = (sql) => (isLookup(sql) && failed++ < 2 ? 'fail' : 'forward');
    // Early lookup fails; the precheck's first attempt fails too and its retry finds the event.
    expect(await store.append([event('f-1'), event('f-2')])).toEqual({ stored: 1, duplicates: 1, dropped: 0, rejections: [] });
    expect(failed).toBeGreaterThanOrEqual(3);
    expect(await rawCount(table)).toBe(2);
  });
});
