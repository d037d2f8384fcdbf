/**
 * The ClickHouse store's hourly rollup (collector/stores/clickhouse/rollup.ts) against a real server: summaries stay
 * exact when the same event gets into the table twice (two stores racing, the duplicate check off), when rows arrive
 * from outside the store (the view counts every INSERT), across merges, and for a table of an earlier release (the
 * rollup is created and filled at open).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ClickHouseStore } from '../../collector/stores/clickhouse/ClickHouseStore.js';
import { JsonlStore } from '../../collector/stores/JsonlStore.js';
import type { StoreEvent } from '../../collector/stores/TelemetryStore.js';
import { tmpDir } from '../helpers.js';
import { clickhouseSql, clickhouseUrl, dropDatabase, uniqueDatabase } from './clickhouse.js';
import { collect, ev } from './storeContract.js';

const url = clickhouseUrl('rollup.test.ts');
const database = uniqueDatabase('rollup');
let tables = 0;
const open: (ClickHouseStore | JsonlStore)[] = [];

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
afterAll(() => dropDatabase(url, database));

function clickhouse(table: string, o: { dedupCheck?: boolean; dedupWindow?: number } = {}): ClickHouseStore {
  const s = new ClickHouseStore({ url, database, table, env: {}, ...o });
  open.push(s);
  return s;
}

async function raw(sql: string): Promise<string> {
  return (await clickhouseSql(url!, sql)).trim();
}

/** A crash of scenario alpha written straight into the table, as an operator or the in-process exporter would. */
async function insertOutside(table: string, tsMs: number, id: string, details: string): Promise<void> {
  await raw(
    `INSERT INTO ${database}.${table} (scenario, ts_ms, id, event, deployment_id, installation_id, level, details, seq) VALUES ('alpha', ${tsMs}, '${id}', 'crash', NULL, NULL, 'fatal', '${details}', 1)`,
  );
}

/** Events over three hours, a few failures, all with client ids. */
function batch(prefix: string, n: number): StoreEvent[] {
  return Array.from({ length: n }, (_, i) =>
    ev(i % 2 === 0 ? 'alpha' : 'beta', i % 9 === 0 ? 'crash' : i % 3 === 0 ? 'app_start' : 'page_view', i * 97_000, { id: `${prefix}-${i}`, installationId: `inst-${i % 4}`, details: i % 9 === 0 ? { n: i } : undefined }),
  );
}

/** Rows in the table's settled rollup. */
function settledRows(table: string): () => Promise<number> {
  return async () => Number(await raw(`SELECT count() FROM ${database}.${table}_settled`));
}

/** Appends `event(i)` every 300 ms for 2.7 s, checking after each that nothing is settled yet; returns how many. */
async function insertWhileUnsettled(s: ClickHouseStore, settled: () => Promise<number>, event: (i: number) => StoreEvent): Promise<number> {
  const started = Date.now();
  let n = 0;
  for (; Date.now() - started < 2700; n++) {
    await s.append([event(n)]);
    expect(await settled()).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
  }
  return n;
}

describe.skipIf(url === undefined)('ClickHouse rollup', () => {
  it('counts an event once when two stores insert it at the same moment, before and after settling and merging', async () => {
    const table = `race_${++tables}`;
    // The duplicate check is off and the windows are empty, so both stores insert every event: the state two collectors
    // racing on the same upload leave (both checks ran before either insert landed).
    const [a, b] = [clickhouse(table, { dedupCheck: false, dedupWindow: 0 }), clickhouse(table, { dedupCheck: false, dedupWindow: 0 })];
    await Promise.all([a.open(), b.open()]);
    const events = batch('r', 120);
    const [ra, rb] = await Promise.all([a.append(events), b.append(events)]);
    expect(ra.stored + rb.stored).toBe(240);
    expect(Number(await raw(`SELECT count() FROM ${database}.${table}`))).toBe(240);

    const jsonl = new JsonlStore({ dir: tmpDir('opt-rollup-') });
    open.push(jsonl);
    await jsonl.open();
    await jsonl.append(events);
    const expected = JSON.stringify(await jsonl.summaries());
    expect(JSON.parse(expected)).toHaveLength(2);

    // Read before either store settled (computed from the events), after both settled (from the settled rollup), and
    // after ClickHouse merged the copies away.
    expect(JSON.stringify(await a.summaries())).toBe(expected);
    // Limited queries read page by page without FINAL: every event once, in stored order, across pages (a page of
    // limit + 16 rows holds both copies of fewer events than the limit).
    for (const q of [{ limit: 5 }, { limit: 30 }, { limit: 70 }, { limit: 70, event: 'page_view' }, {}]) {
      const [lj, lc] = [await collect(jsonl, { scenario: 'alpha', ...q }), await collect(a, { scenario: 'alpha', ...q })];
      expect(lc.map((l) => JSON.stringify(l))).toEqual(lj.map((l) => JSON.stringify(l)));
    }
    await Promise.all([a.close(), b.close()]);
    expect(Number(await raw(`SELECT count() FROM ${database}.${table}_settled WHERE event != ''`))).toBeGreaterThan(0);
    const c = clickhouse(table);
    await c.open();
    expect(JSON.stringify(await c.summaries())).toBe(expected);
    expect(JSON.stringify(await c.summary('alpha'))).toBe(JSON.stringify(await jsonl.summary('alpha')));
    await raw(`OPTIMIZE TABLE ${database}.${table} FINAL`);
    expect(Number(await raw(`SELECT count() FROM ${database}.${table}`))).toBe(120);
    expect(JSON.stringify(await c.summaries())).toBe(expected);
  });

  it('a limited query places an event stored twice at its newest copy, as the unlimited (FINAL) query does', async () => {
    const table = `order_${++tables}`;
    const s = clickhouse(table, { dedupCheck: false, dedupWindow: 0 });
    await s.open();
    // No merge may collapse the copies while the test looks at them.
    await raw(`SYSTEM STOP MERGES ${database}.${table}`);
    const x = ev('o', 'x', 0, { id: 'x' });
    // x stored 20 times: its first 19 copies fill the first page of a 3-line query; its newest copy comes after the y's.
    for (let i = 0; i < 19; i++) await s.append([x]);
    await s.append(Array.from({ length: 30 }, (_, i) => ev('o', 'y', i + 1, { id: `y-${i}` })));
    await s.append([x]);
    const all = (await collect(s, { scenario: 'o' })).map((l) => l.id);
    expect(all).toEqual([...Array.from({ length: 30 }, (_, i) => `y-${i}`), 'x']);
    for (const limit of [3, 20, 31]) expect((await collect(s, { scenario: 'o', limit })).map((l) => l.id)).toEqual(all.slice(0, limit));
  });

  it('with the duplicate check on, concurrent appends of the same events through two stores store and count each once', async () => {
    const table = `race_${++tables}`;
    const [a, b] = [clickhouse(table), clickhouse(table)];
    await Promise.all([a.open(), b.open()]);
    const events = batch('c', 200);
    const results = await Promise.all([a.append(events.slice(0, 150)), b.append(events.slice(50)), a.append(events.slice(100)), b.append(events)]);
    expect(results.reduce((n, r) => n + r.stored + r.duplicates, 0)).toBe(150 + 150 + 100 + 200);
    const jsonl = new JsonlStore({ dir: tmpDir('opt-rollup-') });
    open.push(jsonl);
    await jsonl.open();
    await jsonl.append(events);
    const expected = JSON.stringify(await jsonl.summaries());
    expect(JSON.stringify(await b.summaries())).toBe(expected);
    await Promise.all([a.close(), b.close()]);
    const c = clickhouse(table);
    await c.open();
    expect(JSON.stringify(await c.summaries())).toBe(expected);
  });

  it('sees rows inserted by anyone else (the view counts every INSERT), also into hours it had settled', async () => {
    const table = `outside_${++tables}`;
    const s = clickhouse(table);
    await s.open();
    await s.append(batch('o', 30));
    await s.close();
    const t = clickhouse(table);
    await t.open();
    const before = (await t.summary('alpha'))!;
    // A row straight into the table (an operator, the in-process exporter), into an hour that is settled.
    await insertOutside(table, Date.UTC(2025, 0, 15, 12, 0, 0, 1), 'outside-1', '');
    const after = (await t.summary('alpha'))!;
    expect(after.total_events).toBe(before.total_events + 1);
    expect(after.failure_counts.crash).toBe((before.failure_counts.crash ?? 0) + 1);
  });

  it('settles an hour only once inserts into it have paused for a full interval, not while it is being written', async () => {
    const table = `quiet_${++tables}`;
    const s = clickhouse(table);
    await s.open();
    const settled = settledRows(table);
    // Inserts into the same hour every 300 ms for 2.7 s: every settling tick (1 s) sees the hour written again.
    const n = await insertWhileUnsettled(s, settled, (i) => ev('alpha', 'page_view', i * 1000, { id: `q-${i}` }));
    expect(await settled()).toBe(0);
    // Paused: settled within a few ticks (no read in between, which would compute and settle it itself), and the
    // summary read from the settled hour counts every event.
    for (let i = 0; i < 60 && (await settled()) === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await settled()).toBeGreaterThan(0);
    expect((await s.summary('alpha'))!.total_events).toBe(n);
  });

  it('leaves settling for later while the store goes on inserting, even into other hours, and settles once it pauses', async () => {
    const table = `busy_${++tables}`;
    const s = clickhouse(table);
    await s.open();
    const settled = settledRows(table);
    // Every 300 ms for 2.7 s an insert into the next hour: each hour is quiet from the next tick on, but the store is
    // not, so nothing is settled (a settling read would compete with the inserts for ClickHouse).
    const n = await insertWhileUnsettled(s, settled, (i) => ev('alpha', 'page_view', i * 3_600_000, { id: `h-${i}` }));
    // Paused: every hour is settled within a few ticks, and the summary read from them counts every event.
    for (let i = 0; i < 60 && (await settled()) < 2 * n; i++) await new Promise((r) => setTimeout(r, 100));
    expect(Number(await raw(`SELECT uniqExact(hour) FROM ${database}.${table}_settled`))).toBe(n);
    expect((await s.summary('alpha'))!.total_events).toBe(n);
  });

  it('at rest a call reads only the counters: settled hours and newest failures come from memory until a write moves their hour', async () => {
    const table = `memo_${++tables}`;
    const s = clickhouse(table);
    await s.open();
    const events = batch('m', 90);
    await s.append(events);
    // Let the store settle the hours it wrote (a timer after the insert), so that nothing is written in the background
    // from here on unless a call computes an hour again.
    for (let i = 0; i < 100 && (await raw(`SELECT count() FROM ${database}.${table}_settled`)) === '0'; i++) await new Promise((r) => setTimeout(r, 100));
    const first = JSON.stringify(await s.summaries());
    expect(JSON.stringify(await s.summaries())).toBe(first);
    // Empty the settled table behind the store's back: a store that read it (or computed the hours again) would
    // answer from the events and settle them again; from memory it answers the same and writes nothing.
    await raw(`TRUNCATE TABLE ${database}.${table}_settled`);
    expect(JSON.stringify(await s.summaries())).toBe(first);
    expect(JSON.stringify(await s.summary('alpha'))).toBe(JSON.stringify(JSON.parse(first).find((x: { scenario: string }) => x.scenario === 'alpha')));
    await new Promise((r) => setTimeout(r, 300));
    expect(await raw(`SELECT count() FROM ${database}.${table}_settled`)).toBe('0');
    // A crash inserted from outside into the newest hour moves that hour's counter: totals, counts and the newest
    // failures all show it on the next call, the same as the JSONL store with the same events.
    const newest = Math.max(...events.map((e) => e.timestamp));
    await insertOutside(table, newest + 1, 'outside-memo', '{"late":true}');
    const jsonl = new JsonlStore({ dir: tmpDir('opt-rollup-') });
    open.push(jsonl);
    await jsonl.open();
    await jsonl.append([...events, { scenario: 'alpha', event: 'crash', timestamp: newest + 1, id: 'outside-memo', details: { late: true } }]);
    const after = JSON.stringify(await s.summaries());
    expect(after).not.toBe(first);
    expect(after).toBe(JSON.stringify(await jsonl.summaries()));
    expect(JSON.parse(after).find((x: { scenario: string }) => x.scenario === 'alpha').recent_failures[0]).toMatchObject({ event: 'crash', details: { late: true } });
  });

  it('a table of an earlier release (events, no rollup): the rollup is created at open and filled from the events', async () => {
    const table = `old_${++tables}`;
    const s = clickhouse(table);
    await s.open();
    const events = batch('u', 60);
    await s.append(events);
    await s.close();
    // Back to the earlier release's state: no rollup tables, no view.
    for (const t of [`${table}_hours_mv`, `${table}_hours`, `${table}_settled`]) await raw(`DROP TABLE ${database}.${t}`);
    const jsonl = new JsonlStore({ dir: tmpDir('opt-rollup-') });
    open.push(jsonl);
    await jsonl.open();
    await jsonl.append(events);
    for (let round = 0; round < 2; round++) {
      const c = clickhouse(table);
      await c.open();
      expect(JSON.stringify(await c.summaries())).toBe(JSON.stringify(await jsonl.summaries()));
      await c.close();
    }
    expect(await raw(`SELECT count() FROM system.tables WHERE database = '${database}' AND name LIKE '${table}_%'`)).toBe('3');
  });
});
