/**
 * Query pages through hour bounds (collector/stores/clickhouse/queryBounds.ts) against a real server: once a store has
 * read a key's bounds, its pages read only the hours that hold them, and answer exactly what the stored order says —
 * with late events in old hours, duplicate copies waiting for a merge, time bounds, pages of every size — and a write
 * after the bounds were read (an INSERT by anyone, a mutation) is never missed.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ClickHouseStore } from '../../collector/stores/clickhouse/ClickHouseStore.js';
import type { QueryBounds } from '../../collector/stores/clickhouse/queryBounds.js';
import { storeSql } from '../../collector/stores/clickhouse/sql.js';
import type { StoreEvent, StoreQuery } from '../../collector/stores/TelemetryStore.js';
import { clickhouseSql, clickhouseUrl, dropDatabase, uniqueDatabase } from './clickhouse.js';
import { collect, ev, T0 } from './storeContract.js';

const url = clickhouseUrl('queryBounds.test.ts');
const database = uniqueDatabase('bounds');
const HOUR = 3_600_000;
let tables = 0;
const open: ClickHouseStore[] = [];

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
afterAll(() => dropDatabase(url, database));

function store(table: string, o: { dedupCheck?: boolean; dedupWindow?: number } = {}): ClickHouseStore {
  const s = new ClickHouseStore({ url, database, table, env: {}, ...o });
  open.push(s);
  return s;
}

/** The store's bounds (a private field: what the README's figures and these tests count). */
function boundsOf(s: ClickHouseStore): QueryBounds {
  const b = (s as unknown as { bounds: QueryBounds | undefined }).bounds;
  if (b === undefined) throw new Error('the store has no query bounds (no rollup?)');
  return b;
}

/** The stored order as the appends made it: every event at its newest copy's place (a later copy moves it last). */
class Oracle {
  private order: StoreEvent[] = [];
  stored(events: readonly StoreEvent[]): void {
    const ids = new Set(events.map((e) => e.id));
    this.order = [...this.order.filter((e) => !ids.has(e.id)), ...events];
  }
  answer(q: StoreQuery): string[] {
    return this.order
      .filter((e) => e.scenario === q.scenario && (q.event === undefined || e.event === q.event))
      .filter((e) => (q.since === undefined || e.timestamp >= q.since) && (q.until === undefined || e.timestamp < q.until))
      .slice(0, q.limit)
      .map((e) => e.id!);
  }
}

/** n events of `scenario` spread over `hours` hours from `fromHour`, in time order. */
function spread(prefix: string, scenario: string, n: number, fromHour: number, hours: number): StoreEvent[] {
  return Array.from({ length: n }, (_, i) =>
    ev(scenario, i % 3 === 0 ? 'app_start' : 'page_view', fromHour * HOUR + Math.floor((i * hours * HOUR) / n), { id: `${prefix}-${i}`, details: { i } }),
  );
}

async function ids(s: ClickHouseStore, q: StoreQuery): Promise<string[]> {
  return (await collect(s, q)).map((l) => l.id!);
}

describe.skipIf(url === undefined)('ClickHouse query pages through hour bounds', () => {
  it('answers every query exactly (late events, duplicate copies, time bounds, every page size), reading only hours once the bounds are known', async () => {
    const table = `pages_${++tables}`;
    const s = store(table);
    await s.open();
    const oracle = new Oracle();
    const append = async (target: ClickHouseStore, events: StoreEvent[]): Promise<void> => {
      const r = await target.append(events);
      expect(r.stored).toBe(events.length);
      oracle.stored(events);
    };
    // Six hours of alpha, beta beside it, in batches as uploads come, in time order.
    const alpha = spread('a', 'alpha', 600, 0, 6);
    const beta = spread('b', 'beta', 120, 0, 6);
    for (let k = 0; k < 6; k++) {
      await append(s, alpha.slice(k * 100, k * 100 + 100));
      await append(s, beta.slice(k * 20, k * 20 + 20));
    }
    // Late events for the first and third hours, stored last (an uploader that was offline).
    await append(s, [...spread('late0', 'alpha', 12, 0, 1), ...spread('late2', 'alpha', 5, 2, 1)]);
    // A second copy of 40 events of hour 3, stored by a store that checks nothing (two collectors racing): until a
    // merge, both copies are in the table, and each event's place is its newest copy's. More copies than a page's
    // slack (16), so a page that meets them leaves events waiting and the query reads a second page.
    const copier = store(table, { dedupCheck: false, dedupWindow: 0 });
    await copier.open();
    await append(copier, alpha.slice(300, 340));
    expect(Number(await clickhouseSql(url!, `SELECT count() FROM ${database}.${table} WHERE id IN (SELECT concat('a-', toString(number + 300)) FROM system.numbers LIMIT 40)`))).toBe(80);

    const queries: StoreQuery[] = [];
    for (const event of [undefined, 'page_view', 'app_start'])
      for (const limit of [1, 7, 50, 116, 400, 1000])
        for (const [since, until] of [
          [undefined, undefined],
          [T0 + 1.5 * HOUR, undefined],
          [undefined, T0 + 4.2 * HOUR],
          [T0 + 2 * HOUR, T0 + 3 * HOUR],
        ] as const)
          queries.push({ scenario: 'alpha', event, limit, since, until });
    const b = boundsOf(s);
    // First: the bounds are not known, so the page reads the scenario (and has the bounds read in the background).
    expect(await ids(s, queries[0]!)).toEqual(oracle.answer(queries[0]!));
    expect(b.counts).toEqual({ boundedPages: 0, wholePages: 1, boundsReads: 1 });
    await b.idle();
    for (const q of queries) {
      expect(await ids(s, q), JSON.stringify(q)).toEqual(oracle.answer(q));
      await b.idle();
    }
    // Most pages read through the bounds; a page whose hours hold more rows than the bounds promise (here: the copies)
    // or that the check cannot prove reads the scenario, and the answer is the same.
    expect(b.counts.boundedPages).toBeGreaterThan(queries.length / 2);
    // Queries whose first page meets the copies (rows 300-339 in stored order) and so read a second page from there.
    const before = { ...b.counts };
    for (const limit of [320, 350, 599, 650]) {
      const q = { scenario: 'alpha', limit };
      expect(await ids(s, q)).toEqual(oracle.answer(q));
      await b.idle();
    }
    expect(b.counts.boundedPages + b.counts.wholePages - before.boundedPages - before.wholePages).toBeGreaterThan(4);
  });

  it('never misses a row written after the bounds were read: an INSERT by another store, into a new hour or an old one', async () => {
    const table = `fresh_${++tables}`;
    const s = store(table);
    await s.open();
    const oracle = new Oracle();
    const events = spread('f', 'alpha', 200, 0, 4);
    await s.append(events);
    oracle.stored(events);
    const q = { scenario: 'alpha', limit: 1000 };
    expect(await ids(s, q)).toEqual(oracle.answer(q));
    const b = boundsOf(s);
    await b.idle();
    expect(await ids(s, q)).toEqual(oracle.answer(q));
    expect(b.counts.boundedPages).toBe(1);
    // Another collector stores two events: one in a new hour, one in the first hour. The bounds do not know them; a
    // page planned from them alone would be "whole" without them.
    const other = store(table);
    await other.open();
    const later = [ev('alpha', 'page_view', 9 * HOUR, { id: 'new-hour' }), ev('alpha', 'page_view', 10_000, { id: 'old-hour' })];
    await other.append(later);
    oracle.stored(later);
    const whole = b.counts.wholePages;
    expect(await ids(s, q)).toEqual(oracle.answer(q));
    expect(b.counts.wholePages).toBe(whole + 1);
  });

  it('reads bounds only for answers with rows', async () => {
    const table = `cost_${++tables}`;
    const s = store(table);
    await s.open();
    await s.append(spread('c', 'alpha', 100, 0, 3));
    const b = boundsOf(s);
    // An event nobody sent: the pages read the scenario (as before), and no bounds are read for an empty answer.
    for (let i = 0; i < 3; i++) expect(await ids(s, { scenario: 'alpha', event: `never-${i}`, limit: 10 })).toEqual([]);
    await b.idle();
    expect(b.counts).toEqual({ boundedPages: 0, wholePages: 3, boundsReads: 0 });
    // An answer with rows has its bounds read, once: asked again within the interval, the key is not read again.
    expect(await ids(s, { scenario: 'alpha', event: 'app_start', limit: 10 })).toHaveLength(10);
    await b.idle();
    expect(b.counts.boundsReads).toBe(1);
  });

  it('keeps its fingerprint while nothing is written, and moves it on every INSERT and every mutation', async () => {
    const table = `fp_${++tables}`;
    const s = store(table);
    await s.open();
    await s.append(spread('m', 'alpha', 50, 0, 2));
    const fp = async (): Promise<string> => (await clickhouseSql(url!, storeSql({ database, table }).fingerprint())).trim();
    const first = await fp();
    expect(first).toMatch(/^\d+:\d+:\d+:/);
    expect(await fp()).toBe(first);
    await s.append([ev('alpha', 'page_view', 5, { id: 'one-more' })]);
    const inserted = await fp();
    expect(inserted).not.toBe(first);
    // An UPDATE changes no block number: the parts' data version is what moves.
    await clickhouseSql(url!, `ALTER TABLE ${database}.${table} UPDATE event = 'renamed' WHERE id = 'm-1'`);
    for (let i = 0; i < 100 && Number(await clickhouseSql(url!, `SELECT count() FROM system.mutations WHERE database = '${database}' AND table = '${table}' AND is_done = 0`)) > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await clickhouseSql(url!, `SELECT event FROM ${database}.${table} WHERE id = 'm-1'`)).toBe('renamed\n');
    expect(await fp()).not.toBe(inserted);
  });
});
