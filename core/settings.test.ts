import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { booleanSetting, enumSetting, integerSetting, listSetting, resolveSettings, stringSetting, urlSetting } from './settings.js';

// Code options are checked by hand (no schema library on a host app's import path); the messages keep the wording the
// zod schemas gave, each problem naming the option and the allowed values.
const table = {
  b: booleanSetting('T_B', false, ''),
  i: integerSetting('T_I', 5, 1, 10, ''),
  s: stringSetting('T_S', undefined, ''),
  p: stringSetting('T_P', undefined, '', /^[a-z]+$/, 'lowercase'),
  e: enumSetting('T_E', ['a', 'b'] as const, 'a', ''),
  l: listSetting('T_L', [], ''),
  u: urlSetting('T_U', ''),
};

function problem(options: Record<string, unknown>): string {
  try {
    resolveSettings(table, options, {});
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message.split('\n  - ')[1]!;
  }
  return 'accepted';
}

describe('settings: code options', () => {
  it.each([
    [{ b: 'x' }, 'option "b": Invalid input: expected boolean, received string (allowed: true | false)'],
    [{ b: null }, 'option "b": Invalid input: expected boolean, received null (allowed: true | false)'],
    [{ i: 'x' }, 'option "i": Invalid input: expected number, received string (allowed: integer 1..10)'],
    [{ i: 1.5 }, 'option "i": Invalid input: expected int, received number (allowed: integer 1..10)'],
    [{ i: 0 }, 'option "i": Too small: expected number to be >=1 (allowed: integer 1..10)'],
    [{ i: 11 }, 'option "i": Too big: expected number to be <=10 (allowed: integer 1..10)'],
    [{ i: NaN }, 'option "i": Invalid input: expected number, received NaN (allowed: integer 1..10)'],
    [{ i: Infinity }, 'option "i": Invalid input: expected number, received number (allowed: integer 1..10)'],
    [{ s: {} }, 'option "s": Invalid input: expected string, received object (allowed: string)'],
    [{ p: 'ABC' }, 'option "p": Invalid string: must match pattern /^[a-z]+$/ (allowed: lowercase)'],
    [{ e: 'c' }, 'option "e": Invalid option: expected one of "a"|"b" (allowed: a | b)'],
    [{ l: 'a' }, 'option "l": Invalid input: expected array, received string (allowed: comma-separated list)'],
    [{ l: ['a', 1] }, 'option "l": Invalid input: expected string, received number (allowed: comma-separated list)'],
    [{ u: 'ftp://x' }, 'option "u": expected an absolute http:// or https:// URL (allowed: http(s) URL)'],
    [{ u: 1 }, 'option "u": Invalid input: expected string, received number (allowed: http(s) URL)'],
  ])('%j is refused: %s', (options, message) => {
    expect(problem(options)).toBe(message);
  });

  it('valid options win over env and defaults; a list comes back as a frozen copy', () => {
    const list = ['x', 'y'];
    const v = resolveSettings(table, { b: true, i: 10, s: '', p: 'abc', e: 'b', l: list, u: 'https://h.example/p' }, { T_B: 'false', T_I: '2' });
    expect(v).toEqual({ b: true, i: 10, s: '', p: 'abc', e: 'b', l: ['x', 'y'], u: 'https://h.example/p' });
    expect(v.l).not.toBe(list);
    expect(Object.isFrozen(v.l)).toBe(true);
    expect(Object.isFrozen(v)).toBe(true);
  });

  it('reports every problem at once, unknown keys included', () => {
    expect(() => resolveSettings(table, { i: 0, e: 'z', bogus: 1 }, {})).toThrow(
      /unknown option "bogus"[^]*option "i": Too small[^]*option "e": Invalid option/,
    );
  });
});
