import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from '../../core/errors.js';
import type { JsonlFileWriter } from '../../exporters/jsonl/writer.js';
import { readJsonl, tmpDir } from '../../test/helpers.js';
import { JsonlStore } from './JsonlStore.js';
import { buildSummaries } from './scan.js';
import type { StoreEvent } from './TelemetryStore.js';

const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);
const ev = (over: Partial<StoreEvent> = {}): StoreEvent => ({ scenario: 's', event: 'e', timestamp: T0, ...over });

async function open(options: Partial<ConstructorParameters<typeof JsonlStore>[0]> = {}): Promise<JsonlStore> {
  const store = new JsonlStore({ dir: tmpDir('group-'), ...options });
  await store.open();
  return store;
}

type WriteFn = JsonlFileWriter['write'];

/** The store's real writer with its `write` observed; `hold()` holds every write until the function it returns is called. */
function observeWrites(store: JsonlStore): { writes: { file: string; chunks: number }[]; hold: () => () => void } {
  const writer = (store as unknown as { writer: JsonlFileWriter }).writer;
  const real: WriteFn = writer.write.bind(writer);
  const writes: { file: string; chunks: number }[] = [];
  let gate: Promise<void> | undefined;
  writer.write = (file, chunks, done) => {
    writes.push({ file, chunks: chunks.length });
    if (gate === undefined) real(file, chunks, done);
    else void gate.then(() => real(file, chunks, done));
  };
  return {
    writes,
    hold() {
      let open!: () => void;
      gate = new Promise<void>((resolve) => (open = resolve));
      return () => {
        gate = undefined;
        open();
      };
    },
  };
}

describe('JsonlStore group commit', () => {
  it('writes the lines of calls that arrive during a write with one write per file, answering each after its lines are in the file', async () => {
    const store = await open();
    const { writes, hold } = observeWrites(store);
    const release = hold();
    const first = store.append([ev({ id: 'a1' })]);
    // These arrive while the first write is in flight: they queue into one batch per file.
    const more = Array.from({ length: 20 }, (_, i) => store.append([ev({ id: `b${i}`, timestamp: T0 + i }), ev({ scenario: 't', id: `t${i}` })]));
    let answered = 0;
    for (const p of [first, ...more]) void p.then(() => answered++);
    await new Promise((r) => setTimeout(r, 20));
    expect(answered).toBe(0); // nothing is acknowledged before its write completes
    expect(readJsonl(join(store.dir, 's.jsonl'))).toEqual([]);
    release();
    const results = await Promise.all([first, ...more]);
    expect(results[0]).toEqual({ stored: 1, duplicates: 0, dropped: 0, rejections: [] });
    for (const r of results.slice(1)) expect(r).toEqual({ stored: 2, duplicates: 0, dropped: 0, rejections: [] });
    // Per file: the first call's write, then one write for the calls that arrived while it ran.
    expect(writes.map((w) => `${w.file}:${w.chunks}`).sort()).toEqual(['s:1', 's:20', 't:1', 't:19']);
    expect(readJsonl(join(store.dir, 's.jsonl')).map((l) => l.id)).toEqual(['a1', ...Array.from({ length: 20 }, (_, i) => `b${i}`)]);
    expect(readJsonl(join(store.dir, 't.jsonl'))).toHaveLength(20);
    const live = await store.summaries();
    expect(live.map((s) => [s.scenario, s.total_events])).toEqual([
      ['s', 21],
      ['t', 20],
    ]);
    await store.close();
    expect(await buildSummaries(store.dir)).toEqual(live);
  });

  it('an id whose write is still running is a duplicate for a later call, which is answered only once that write is done', async () => {
    const store = await open();
    const { hold } = observeWrites(store);
    const release = hold();
    const original = store.append([ev({ id: 'x' })]);
    const again = store.append([ev({ id: 'x' }), ev({ id: 'y' })]);
    const onlyDuplicate = store.append([ev({ id: 'x' })]);
    let done = false;
    void onlyDuplicate.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    release();
    expect(await original).toMatchObject({ stored: 1, duplicates: 0 });
    expect(await again).toMatchObject({ stored: 1, duplicates: 1 });
    expect(await onlyDuplicate).toMatchObject({ stored: 0, duplicates: 1 });
    expect(readJsonl(join(store.dir, 's.jsonl')).map((l) => l.id)).toEqual(['x', 'y']);
    await store.close();
  });

  it('when a write fails, every call in its batch fails, and so does a call that took one of its ids as a duplicate; the retries store each id once', async () => {
    const store = await open();
    const writer = (store as unknown as { writer: JsonlFileWriter }).writer;
    const real: WriteFn = writer.write.bind(writer);
    let writesOfS = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    writer.write = (file, chunks, done) => {
      const n = file === 's' ? ++writesOfS : 0;
      // s: the first write (call one) succeeds after the gate; the second (calls two and three together) fails.
      void gate.then(() => (n === 2 ? done(new StoreError('EIO: i/o error (simulated)')) : real(file, chunks, done)));
    };
    const one = store.append([ev({ id: 'a' })]);
    const two = store.append([ev({ id: 'b' })]);
    const three = store.append([ev({ id: 'c' }), ev({ scenario: 'other', id: 'o' })]);
    const dupOfTwo = store.append([ev({ id: 'b' })]);
    const settled = Promise.allSettled([one, two, three, dupOfTwo]);
    release();
    const [r1, r2, r3, r4] = await settled;
    expect(r1).toMatchObject({ status: 'fulfilled', value: { stored: 1 } });
    for (const r of [r2, r3, r4]) expect(r).toMatchObject({ status: 'rejected', reason: { code: 'OPT_ERR_STORE' } });
    expect((r4 as PromiseRejectedResult).reason.message).toMatch(/an earlier request's write of the same event id/);
    expect((await store.ready()).ready).toBe(true); // the probe write succeeds: the failure was passing
    writer.write = real;
    // `other` was written in its own batch before the failure: counted, so the retry finds it as a duplicate.
    expect(await store.append([ev({ id: 'b' }), ev({ id: 'c' }), ev({ scenario: 'other', id: 'o' })])).toMatchObject({ stored: 2, duplicates: 1 });
    expect(readJsonl(join(store.dir, 's.jsonl')).map((l) => l.id)).toEqual(['a', 'b', 'c']);
    expect(readJsonl(join(store.dir, 'other.jsonl')).map((l) => l.id)).toEqual(['o']);
    const live = await store.summaries();
    await store.close();
    expect(await buildSummaries(store.dir)).toEqual(live);
  });

  it('close waits for the writes in flight and answers their calls; later calls are refused', async () => {
    const store = await open();
    const { hold } = observeWrites(store);
    const release = hold();
    const pending = store.append([ev({ id: 'late' })]);
    const closed = store.close();
    await expect(store.append([ev()])).rejects.toMatchObject({ code: 'OPT_ERR_STORE' });
    release();
    await closed;
    expect(await pending).toMatchObject({ stored: 1 });
    expect(readJsonl(join(store.dir, 's.jsonl')).map((l) => l.id)).toEqual(['late']);
  });

  it('an evicted descriptor (TELEMETRY_MAX_OPEN_FILES) stays open until its write completes: every line lands in its own file', async () => {
    const store = await open({ maxOpenFiles: 1 });
    const { hold } = observeWrites(store);
    const release = hold();
    const calls = [];
    for (let i = 0; i < 30; i++) calls.push(store.append([ev({ scenario: `s${i % 3}`, id: `i${i}` })]));
    release();
    await Promise.all(calls);
    for (let k = 0; k < 3; k++) {
      const ids = readJsonl(join(store.dir, `s${k}.jsonl`)).map((l) => l.id);
      expect(ids).toEqual(Array.from({ length: 10 }, (_, j) => `i${j * 3 + k}`));
    }
    await store.close();
  });

  it('retention runs with no write in flight: summaries equal the files kept while appends go on', async () => {
    const store = await open();
    // Old events in `old`, then appends to `old` and `new` racing the sweep.
    await store.append(Array.from({ length: 5 }, (_, i) => ev({ scenario: 'old', id: `o${i}` })));
    const racing: Promise<unknown>[] = [];
    const timer = setInterval(() => racing.push(store.append([ev({ scenario: 'new', timestamp: Date.now(), id: `n${racing.length}` })])), 1);
    await new Promise((r) => setTimeout(r, 20));
    const swept = await store.expire(Date.now() - 86_400_000);
    await new Promise((r) => setTimeout(r, 20));
    clearInterval(timer);
    await Promise.all(racing);
    expect(swept.deleted.map((p) => p.slice(store.dir.length + 1))).toEqual(['old.jsonl']);
    expect(readdirSync(store.dir).filter((n) => n.endsWith('.jsonl'))).toEqual(['new.jsonl']);
    const live = await store.summaries();
    expect(live.map((s) => [s.scenario, s.total_events])).toEqual([['new', racing.length]]);
    await store.close();
    expect(await buildSummaries(store.dir)).toEqual(live);
  });

  it('appendSync refuses to run while appends are being written', async () => {
    const store = await open();
    const { hold } = observeWrites(store);
    const release = hold();
    const pending = store.append([ev()]);
    expect(() => store.appendSync([ev()])).toThrow(StoreError);
    release();
    await pending;
    expect(store.appendSync([ev()])).toMatchObject({ stored: 1 });
    await store.close();
  });
});
