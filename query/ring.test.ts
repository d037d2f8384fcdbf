import { describe, expect, it } from 'vitest';
import { Ring } from './ring.js';

describe('Ring', () => {
  it('keeps the last `capacity` items, oldest first, across wrap-around and reuse', () => {
    const r = new Ring<number>(3);
    for (let i = 1; i <= 2; i++) r.push(i);
    expect(r.length).toBe(2);
    expect(r.drain()).toEqual([1, 2]);
    expect(r.length).toBe(0);
    for (let i = 1; i <= 7; i++) r.push(i);
    expect(r.length).toBe(3);
    expect(r.drain()).toEqual([5, 6, 7]);
    for (let i = 1; i <= 3; i++) r.push(i);
    expect(r.drain()).toEqual([1, 2, 3]);
    const none = new Ring<number>(0);
    none.push(1);
    expect(none.drain()).toEqual([]);
  });

  it('allocates for the items kept, not for its capacity (tail=40000000 on a 10-line file)', () => {
    global.gc?.();
    const before = process.memoryUsage();
    const t0 = performance.now();
    const r = new Ring<number>(40_000_000);
    for (let i = 0; i < 10; i++) r.push(i);
    const grownHeap = process.memoryUsage().heapUsed - before.heapUsed;
    const grownRss = process.memoryUsage().rss - before.rss;
    expect(r.drain()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const ms = performance.now() - t0;
    // The old ring took new Array(capacity) up front and filled it on drain: ~320 MB and ~0.4 s here.
    expect(grownHeap).toBeLessThan(8 * 1024 * 1024);
    expect(grownRss).toBeLessThan(32 * 1024 * 1024);
    expect(ms).toBeLessThan(50);
  });
});
