import { describe, expect, it } from 'vitest';
import { HourMemo } from './hourMemo.js';
import type { HourGroup } from './rollup.js';

const groups = (n: number): HourGroup[] => Array.from({ length: n }, (_, i) => ({ event: `e${i}`, level: '', n: i + 1, last: 1000 + i }));

describe('HourMemo (the ClickHouse rollup hours kept in memory)', () => {
  it('answers an hour only at the counter it was kept at', () => {
    const m = new HourMemo();
    const g = groups(3);
    m.set('a', 10, 7, g);
    expect(m.get('a', 10, 7)).toBe(g);
    expect(m.get('a', 10, 8)).toBeUndefined();
    expect(m.get('a', 11, 7)).toBeUndefined();
    expect(m.get('b', 10, 7)).toBeUndefined();
    const newer = groups(4);
    m.set('a', 10, 8, newer);
    expect(m.get('a', 10, 7)).toBeUndefined();
    expect(m.get('a', 10, 8)).toBe(newer);
    // Replacing an hour counts only its new groups.
    expect(m.groups).toBe(5);
  });

  it('is bounded by groups, not hours: when the next hour would not fit it starts again empty', () => {
    const m = new HourMemo(20);
    for (let h = 0; h < 4; h++) m.set('a', h, 1, groups(4)); // 4 x 5 = 20: full
    expect(m.groups).toBe(20);
    expect(m.get('a', 0, 1)).toBeDefined();
    m.set('b', 0, 1, groups(1));
    expect(m.groups).toBe(2);
    expect(m.get('a', 0, 1)).toBeUndefined();
    expect(m.get('b', 0, 1)).toHaveLength(1);
    // An hour larger than the whole bound is not kept at all (and evicts nothing).
    m.set('c', 0, 1, groups(25));
    expect(m.get('c', 0, 1)).toBeUndefined();
    expect(m.get('b', 0, 1)).toHaveLength(1);
  });
});
