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
});
