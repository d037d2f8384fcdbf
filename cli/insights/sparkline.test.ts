import { describe, expect, it } from 'vitest';
import { resample, sparkline, SPARK_ASCII, SPARK_UNICODE, widen } from './sparkline.js';

describe('sparkline', () => {
  it('one mark per value: the maximum is the top mark, zero a blank, the smallest non-zero value at least the lowest mark', () => {
    for (const ascii of [false, true]) {
      const marks = ascii ? SPARK_ASCII : SPARK_UNICODE;
      const s = sparkline([0, 1, 1000, 500, 0], ascii);
      expect([...s]).toHaveLength(5);
      expect(s[0]).toBe(' ');
      expect(s[1]).toBe(marks[0]);
      expect(s[2]).toBe(marks[marks.length - 1]);
      expect(s[4]).toBe(' ');
    }
  });

  it('levels rise with the value and every mark is used on a linear series', () => {
    const n = SPARK_UNICODE.length;
    const s = sparkline(Array.from({ length: n }, (_, i) => i + 1), false);
    expect([...s]).toEqual([...SPARK_UNICODE]);
    const a = sparkline(Array.from({ length: SPARK_ASCII.length }, (_, i) => i + 1), true);
    expect(a).toBe(SPARK_ASCII.join(''));
    expect(a).toBe('_.-=#');
  });

  it('is scaled to its own maximum (shape, not size) and a flat series is all top marks', () => {
    expect(sparkline([3, 6], false)).toBe(sparkline([300, 600], false));
    expect(sparkline([7, 7, 7], true)).toBe('###');
  });

  it('all zeros or empty: blanks only', () => {
    expect(sparkline([0, 0, 0], false)).toBe('   ');
    expect(sparkline([], true)).toBe('');
  });

  it('ASCII marks are plain ASCII', () => {
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8, 0], true)).toMatch(/^[\x20-\x7e]*$/);
  });
});

describe('resample', () => {
  it('a series that fits is returned as it is', () => {
    expect(resample([1, 2, 3], 3, 'sum')).toEqual({ values: [1, 2, 3], per: 1 });
    expect(resample([1, 2, 3], 80, 'max')).toEqual({ values: [1, 2, 3], per: 1 });
  });

  it('merges runs of the smallest whole number of values that fits, the last run shorter', () => {
    const values = Array.from({ length: 10 }, (_, i) => i + 1); // 1..10
    const r = resample(values, 4, 'sum');
    expect(r.per).toBe(3);
    expect(r.values).toEqual([1 + 2 + 3, 4 + 5 + 6, 7 + 8 + 9, 10]);
    expect(r.values.reduce((a, b) => a + b, 0)).toBe(55); // sums keep the total
    expect(resample(values, 4, 'max')).toEqual({ values: [3, 6, 9, 10], per: 3 });
  });

  it('never more values than the width, for any length and width', () => {
    for (let n = 1; n <= 200; n += 7) {
      for (let w = 1; w <= 50; w += 3) {
        const r = resample(Array.from({ length: n }, () => 1), w, 'sum');
        expect(r.values.length).toBeLessThanOrEqual(w);
        expect(r.values.reduce((a, b) => a + b, 0)).toBe(n);
      }
    }
  });
});

describe('widen', () => {
  it('repeats each mark, blanks included', () => {
    expect(widen('▁ █', 3)).toBe('▁▁▁   ███');
    expect(widen('_#', 1)).toBe('_#');
    expect(widen('', 4)).toBe('');
  });
});
