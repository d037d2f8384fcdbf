import { describe, expect, it } from 'vitest';
import { formatHrTime, millisToHrTime, parseIsoTimestamp } from './time.js';
import { uuidv7 } from './id.js';
import { isSafeScenario, scenarioFromPackageName } from './scenario.js';

describe('time formatting', () => {
  it('matches Date#toISOString for arbitrary instants', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      const ms = Math.floor(rand() * 4e12);
      const hr: [number, number] = [Math.floor(ms / 1000), (ms % 1000) * 1e6 + Math.floor(rand() * 1e6)];
      expect(formatHrTime(hr)).toBe(new Date(ms).toISOString());
    }
  });

  it('matches Date#toISOString before 1970, before year 1 and after 9999, and around day and second boundaries', () => {
    let seed = 9;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const times = [0, -1, -1000, -86_400_000, 86_399_999, 86_400_000, 253_402_300_799_999, 253_402_300_800_000, -62_135_596_800_000, -62_135_596_800_001, 8.64e15];
    for (let i = 0; i < 3000; i++) times.push(Math.floor((rand() - 0.5) * 6e14));
    for (const ms of times) {
      const hr: [number, number] = [Math.floor(ms / 1000), (ms - Math.floor(ms / 1000) * 1000) * 1e6];
      expect(formatHrTime(hr), String(ms)).toBe(new Date(ms).toISOString());
    }
    // Before 1970 millisToHrTime gives negative nanoseconds: the same instant, floored to the millisecond.
    for (const ms of [-1, -999, -1000, -1500, -86_399_999, -86_400_001, -62_135_596_800_001]) {
      expect(formatHrTime(millisToHrTime(ms)), String(ms)).toBe(new Date(ms).toISOString());
    }
    expect(formatHrTime(millisToHrTime(-1.5))).toBe(new Date(-2).toISOString());
    // Beyond the Date range it throws, as toISOString does (the line is then invalid).
    expect(() => formatHrTime([8.64e12 + 1, 0])).toThrow(RangeError);
  });

  it('parses ISO 8601 and rejects what is not', () => {
    expect(parseIsoTimestamp('2025-01-15T12:00:00Z')).toBe(Date.UTC(2025, 0, 15, 12));
    expect(parseIsoTimestamp('2025-01-15T12:00:00.123+02:00')).toBe(Date.UTC(2025, 0, 15, 10, 0, 0, 123));
    for (const bad of ['yesterday', '15/01/2025', '2025-13-45T99:99:99Z', '', '1e12']) expect(parseIsoTimestamp(bad), bad).toBeUndefined();
  });
});

describe('uuidv7', () => {
  it('is a well-formed version 7 UUID carrying the millisecond time, unique and ordered', () => {
    const ids = new Set<string>();
    let prev = '';
    for (let i = 0; i < 10_000; i++) {
      const id = uuidv7(1_700_000_000_000 + Math.floor(i / 100));
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(id > prev).toBe(true);
      prev = id;
      ids.add(id);
    }
    expect(ids.size).toBe(10_000);
    expect(parseInt(uuidv7(1_700_000_000_000).replace(/-/g, '').slice(0, 12), 16)).toBe(1_700_000_000_000);
  });
});

describe('scenario names', () => {
  it('accept safe file names only', () => {
    for (const ok of ['picker-wheel', 'a', 'A.b_c-1', 'x'.repeat(128)]) expect(isSafeScenario(ok), ok).toBe(true);
    for (const bad of ['', '.', '..', '../x', 'a/b', 'a\\b', '-x', '.x', 'x'.repeat(129), 'CON', 'com1', 'LPT9.log', 'a..b', 'sp ace', 'é', null, 5]) expect(isSafeScenario(bad), String(bad)).toBe(false);
  });
  it('derive from package names', () => {
    expect(scenarioFromPackageName('@strapi/strapi')).toBe('strapi-strapi');
    expect(scenarioFromPackageName('my_app')).toBe('my_app');
    expect(scenarioFromPackageName('')).toBeUndefined();
  });
});
