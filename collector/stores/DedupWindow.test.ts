import { describe, expect, it } from 'vitest';
import { DedupWindow } from './DedupWindow.js';

/**
 * The window's contract in its plainest form (the implementation before its own hash table): a ring of (scenario set,
 * id) pairs and a Set of ids per scenario, with the same checkpoint, rollback and release.
 */
class ReferenceWindow {
  private readonly sets = new Map<string, Set<string>>();
  private readonly ring: ([Set<string>, string] | undefined)[];
  private head = 0;
  private undo: [number, [Set<string>, string] | undefined][] | undefined;

  constructor(readonly capacity: number) {
    this.ring = new Array<[Set<string>, string] | undefined>(capacity);
  }

  get size(): number {
    let n = 0;
    for (const s of this.sets.values()) n += s.size;
    return n;
  }

  has(scenario: string, id: string): boolean {
    return this.sets.get(scenario)?.has(id) === true;
  }

  tryAdd(scenario: string, id: string): boolean {
    if (this.capacity === 0 || this.has(scenario, id)) return false;
    let set = this.sets.get(scenario);
    if (set === undefined) this.sets.set(scenario, (set = new Set()));
    const old = this.ring[this.head];
    this.undo?.push([this.head, old]);
    if (old !== undefined) old[0].delete(old[1]);
    this.ring[this.head] = [set, id];
    set.add(id);
    this.head = (this.head + 1) % this.capacity;
    return true;
  }

  checkpoint(): void {
    this.undo = [];
  }

  release(): void {
    this.undo = undefined;
  }

  rollback(): void {
    const undo = this.undo;
    this.undo = undefined;
    if (undo === undefined || undo.length === 0) return;
    for (let i = undo.length - 1; i >= 0; i--) {
      const [at, old] = undo[i]!;
      const now = this.ring[at]!;
      now[0].delete(now[1]);
      this.ring[at] = old;
      if (old !== undefined) old[0].add(old[1]);
    }
    this.head = undo[0]![0];
  }
}

describe('DedupWindow', () => {
  it('remembers the newest ids per scenario and forgets the oldest beyond the capacity', () => {
    const w = new DedupWindow(3);
    w.add('a', '1');
    w.add('b', '1');
    w.add('a', '2');
    expect([w.has('a', '1'), w.has('b', '1'), w.has('a', '2'), w.has('b', '2')]).toEqual([true, true, true, false]);
    w.add('a', '3'); // evicts a/1
    expect(w.has('a', '1')).toBe(false);
    expect(w.has('b', '1')).toBe(true);
    w.add('a', '3'); // already there: no eviction
    expect(w.has('b', '1')).toBe(true);
    expect(w.size).toBe(3);
  });

  it('stays bounded under many ids and scenarios', () => {
    const w = new DedupWindow(1000);
    for (let i = 0; i < 50_000; i++) w.add(`s${i % 37}`, `id-${i}`);
    expect(w.size).toBe(1000);
    expect(w.has('s0', 'id-0')).toBe(false);
    expect(w.has(`s${49_999 % 37}`, 'id-49999')).toBe(true);
  });

  it('does nothing with capacity 0', () => {
    const w = new DedupWindow(0);
    w.add('a', '1');
    expect(w.has('a', '1')).toBe(false);
  });

  it('tryAdd says whether it took the id in: false for one it holds (one check and one add)', () => {
    const w = new DedupWindow(2);
    expect([w.tryAdd('a', '1'), w.tryAdd('a', '1'), w.tryAdd('b', '1'), w.tryAdd('a', '2')]).toEqual([true, false, true, true]);
    // a/1 was pushed out by a/2: taken in again.
    expect(w.tryAdd('a', '1')).toBe(true);
    expect(new DedupWindow(0).tryAdd('a', '1')).toBe(false);
  });

  it('answers as the plain ring of Sets over random adds, checks, evictions and rollbacks (its own hash table: collisions, growth, deletions inside runs)', () => {
    let seed = 11;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    for (let round = 0; round < 200; round++) {
      // Small and large windows; few ids (many repeats) and many (a table that grows and fills past its first size).
      const capacity = round % 10 === 0 ? 0 : rand(round % 3 === 0 ? 400 : 24) + 1;
      const ids = rand(3) === 0 ? 8 : 2000;
      const w = new DedupWindow(capacity);
      // Every fourth round, a hash of three values (the instance's own, shadowing the method): every pair collides
      // with a third of the others, so the strings decide, runs are long and deletions move entries across them.
      if (round % 4 === 1) {
        // The method this shadows must exist, or these rounds would quietly hash as usual.
        expect(typeof (DedupWindow.prototype as unknown as Record<string, unknown>).hashOf).toBe('function');
        (w as unknown as { hashOf: (s: string, id: string) => number }).hashOf = (_s, id) => id.charCodeAt(id.length - 11) % 3;
      }
      const r = new ReferenceWindow(capacity);
      let open = false;
      for (let op = 0; op < 1500; op++) {
        const scenario = `s${rand(4)}`;
        const id = `0190a${rand(ids).toString(16).padStart(6, '0')}-7abc-8def`;
        const k = rand(100);
        // expect only on a difference: a million expect calls would take seconds.
        if (k < 55) {
          const [a, b] = [w.tryAdd(scenario, id), r.tryAdd(scenario, id)];
          if (a !== b) expect({ op, tryAdd: [scenario, id], got: a }).toEqual({ op, tryAdd: [scenario, id], got: b });
        } else if (k < 90) {
          const [a, b] = [w.has(scenario, id), r.has(scenario, id)];
          if (a !== b) expect({ op, has: [scenario, id], got: a }).toEqual({ op, has: [scenario, id], got: b });
        } else if (k < 94) {
          w.checkpoint();
          r.checkpoint();
          open = true;
        } else if (k < 97 && open) {
          w.rollback();
          r.rollback();
          open = false;
        } else if (open) {
          w.release();
          r.release();
          open = false;
        }
        if (op % 100 === 0) expect(w.size).toBe(r.size);
      }
      expect(w.size).toBe(r.size);
    }
  });

  it('rollback restores the window as it was at the checkpoint, pushed-out ids and their order included; release keeps the adds', () => {
    // Random adds, a checkpoint, random adds (some ids again, some pushing the oldest out), then a rollback: from then
    // on, the window answers and evicts exactly like one that never saw the adds after the checkpoint.
    let seed = 7;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    for (let round = 0; round < 50; round++) {
      const capacity = 1 + rand(20);
      const w = new DedupWindow(capacity);
      const reference = new DedupWindow(capacity);
      const id = (): [string, string] => [`s${rand(3)}`, `i${rand(40)}`];
      for (let i = rand(60); i > 0; i--) {
        const [s, x] = id();
        expect(w.tryAdd(s, x)).toBe(reference.tryAdd(s, x));
      }
      w.checkpoint();
      for (let i = rand(2 * capacity); i > 0; i--) w.tryAdd(...id());
      if (round % 5 === 4) {
        // Kept: both windows see the same adds from here, w's extra ones stay.
        w.release();
        continue;
      }
      w.rollback();
      expect(w.size).toBe(reference.size);
      for (let i = rand(60); i > 0; i--) {
        const [s, x] = id();
        expect(w.tryAdd(s, x)).toBe(reference.tryAdd(s, x));
      }
      for (let s = 0; s < 3; s++) for (let x = 0; x < 40; x++) expect(w.has(`s${s}`, `i${x}`)).toBe(reference.has(`s${s}`, `i${x}`));
    }
    const kept = new DedupWindow(3);
    kept.checkpoint();
    kept.tryAdd('a', '1');
    kept.release();
    kept.rollback(); // nothing recorded since the release
    expect(kept.has('a', '1')).toBe(true);
  });
});
