import { describe, expect, it } from 'vitest';
import { DedupWindow } from './DedupWindow.js';

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
