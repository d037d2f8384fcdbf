import { describe, expect, it } from 'vitest';
import { bar, BAR_ASCII, BAR_EIGHTHS, BAR_FULL } from './bars.js';

const cells = (s: string): number => [...s].length;

describe('bar', () => {
  it('the largest value fills the width with full blocks', () => {
    expect(bar(50, 50, 20, false)).toBe(BAR_FULL.repeat(20));
    expect(bar(50, 50, 20, true)).toBe(BAR_ASCII.repeat(20));
  });

  it('ends in eighths of a cell on a terminal', () => {
    // 10/16 of 4 cells = 2.5 cells = two full blocks and a half
    expect(bar(10, 16, 4, false)).toBe(BAR_FULL + BAR_FULL + '▌');
    for (let e = 1; e <= 7; e++) expect(bar(e, 8, 1, false)).toBe(BAR_EIGHTHS[e - 1]);
  });

  it('ASCII rounds to whole cells', () => {
    expect(bar(10, 16, 4, true)).toBe('###'); // 2.5 -> 3
    expect(bar(9, 16, 4, true)).toBe('##'); // 2.25 -> 2
  });

  it('anything above zero shows; zero, negative or nothing to scale by shows nothing', () => {
    expect(bar(1, 1_000_000, 10, false)).toBe(BAR_EIGHTHS[0]);
    expect(bar(1, 1_000_000, 10, true)).toBe('#');
    expect(bar(0, 10, 10, false)).toBe('');
    expect(bar(5, 0, 10, true)).toBe('');
    expect(bar(5, 10, 0, false)).toBe('');
  });

  it('is never wider than the width and grows with the value', () => {
    let previous = 0;
    for (let v = 0; v <= 97; v++) {
      const b = bar(v, 97, 13, false);
      expect(cells(b)).toBeLessThanOrEqual(13);
      const eighths = [...b].reduce((s, c) => s + (c === BAR_FULL ? 8 : BAR_EIGHTHS.indexOf(c) + 1), 0);
      expect(eighths).toBeGreaterThanOrEqual(previous);
      previous = eighths;
    }
  });
});
