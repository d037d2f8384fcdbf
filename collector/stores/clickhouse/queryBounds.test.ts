import { describe, expect, it } from 'vitest';
import { HOUR_MS } from './rollup.js';
import type { ClickHouseHttp } from '../../../exporters/clickhouse/ClickHouseHttp.js';
import { pageBoundary, planPage, QueryBounds, type HourBound } from './queryBounds.js';
import { storeSql } from './sql.js';

const open = { since: 0, until: 0 };

/** Bounds sorted by lo, as the cache holds them. */
function bounds(...hours: [hour: number, lo: number, hi: number, rows: number][]): HourBound[] {
  return hours.map(([hour, lo, hi, rows]) => ({ hour, lo, hi, rows })).sort((a, b) => a.lo - b.lo);
}

describe('query pages through hour bounds: the plan', () => {
  // Hours 10, 11, 12 written in turn (seq 100-199, 200-299, 300-399); hour 3 got one late event at seq 250.
  const b = bounds([10, 100, 199, 100], [11, 200, 299, 100], [12, 300, 399, 100], [3, 250, 250, 1]);

  it('reads the first hour when its rows make the page, and no hour that starts after them', () => {
    expect(planPage(b, 0, 50, open)?.hours).toEqual([10]);
  });

  it('takes every hour whose lowest seq is not past the highest seq of the hours that make the page (a late event in an old hour)', () => {
    // 150 rows: hours 10 and 11 (highest seq 299), so hour 3 (250) may hold a row of the page; hour 12 (300) may not.
    expect(planPage(b, 0, 150, open)?.hours).toEqual([3, 10, 11]);
  });

  it('leaves out hours whose rows all come before the page, and does not count an hour the page starts inside', () => {
    // After 250: hour 10 is done; hour 11 (200-299) and hour 3 (250) straddle the start and count for nothing, so hour
    // 12 is needed to be sure of 50 rows, and with it every hour starting at or before 399.
    expect(planPage(b, 250, 50, open)?.hours).toEqual([11, 12]);
    expect(planPage(b, 199, 50, open)?.hours).toEqual([3, 11]);
  });

  it('counts only hours wholly inside the time bounds, and reads no hour outside them', () => {
    const since = 11 * HOUR_MS + 1; // hour 11 is cut, hour 10 is out
    expect(planPage(b, 0, 50, { since, until: 0 })?.hours).toEqual([11, 12]);
    expect(planPage(b, 0, 50, { since: 0, until: 11 * HOUR_MS })?.hours).toEqual([10]); // hour 3's row (250) comes after the page's
  });

  it('gives up (the page reads the scenario) with no candidate hour, or more rows to read than allowed', () => {
    expect(planPage(b, 399, 50, open)).toBeUndefined();
    expect(planPage([], 0, 50, open)).toBeUndefined();
    expect(planPage(b, 0, 150, open, 200)).toBeUndefined();
    expect(planPage(b, 0, 150, open, 201)?.hours).toEqual([3, 10, 11]);
  });
});

describe('query pages through hour bounds: the check', () => {
  const b = bounds([10, 100, 199, 100], [11, 200, 299, 100], [12, 300, 399, 100], [3, 250, 250, 1]);
  const seqs = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it('takes a full page when every hour left out starts after its last row', () => {
    const plan = planPage(b, 0, 50, open)!;
    expect(pageBoundary(plan, seqs(100, 199), 50)).toEqual({ full: true, boundary: 149 });
  });

  it('refuses a full page when an hour left out could hold a row before its end', () => {
    // Rows were deleted since the bounds were read: hour 10 now holds 101-110 only, so the page's 50th row is 260
    // and hour 3 (250), left out, could hold a row before it.
    const plan = planPage(b, 0, 50, open)!;
    expect(pageBoundary(plan, [...seqs(101, 110), ...seqs(200, 260)], 50)).toBeUndefined();
  });

  it('ends the query with a short page only when no candidate hour was left out', () => {
    const all = planPage(b, 0, 150, open)!; // hours 3, 10, 11 of 4 candidates
    expect(pageBoundary(all, seqs(100, 120), 150)).toBeUndefined();
    const last = planPage(b, 299, 150, open)!; // only hour 12 is left
    expect(last.hours).toEqual([12]);
    expect(pageBoundary(last, seqs(300, 399), 150)).toEqual({ full: false, boundary: Number.POSITIVE_INFINITY });
  });
});

describe('query pages through hour bounds: when bounds are read', () => {
  it('one read at a time over all keys, and a key at most once per interval', async () => {
    // A connection whose statements wait until released: what matters here is what is started, not what comes back.
    let release: () => void = () => undefined;
    const held = new Promise<string>((resolve) => (release = () => resolve('')));
    let statements = 0;
    const http = { text: () => (statements++, held) } as unknown as ClickHouseHttp;
    const b = new QueryBounds(http, storeSql({ database: 'd', table: 't' }), { retryDeadlineMs: 0, backoffMs: 10, maxBackoffMs: 10, timeoutMs: 1000 });
    const filters = { since: false, until: false, event: true };
    const key = (e: string) => ({ s: 'alpha', e, since: 0, until: 0 });
    b.wholeRead(key('a'), filters, 5);
    b.wholeRead(key('b'), filters, 5); // another key while the first read is in flight: not started
    b.wholeRead(key('c'), filters, 0); // an empty answer: never
    expect(b.counts).toEqual({ boundedPages: 0, wholePages: 3, boundsReads: 1 });
    expect(statements).toBe(1);
    release();
    await b.idle();
    b.wholeRead(key('a'), filters, 5); // within the interval
    b.wholeRead(key('b'), filters, 5); // now free
    expect(b.counts.boundsReads).toBe(2);
    await b.idle();
  });
});
