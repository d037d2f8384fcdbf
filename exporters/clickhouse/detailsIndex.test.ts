import { describe, expect, it } from 'vitest';
import { groupOf } from '../../query/insights/groups.js';
import { NO_GROUP } from '../../query/insights/types.js';
import { detailsIndex } from './detailsIndex.js';

describe('details index (the columns insights group by a details key in SQL)', () => {
  const cases: Record<string, unknown>[] = [
    { version: '1.0.0', platform: 'linux' },
    { version: 3, beta: true, ratio: 1.5e-7, big: 1e21, neg: -0 },
    { version: '', empty: '' },
    { meta: { version: 'nested' }, list: ['version'], none: null },
    { "it's": 'a\tb\nc\\d', 'ü': '🚀', '': 'empty key' },
  ];

  it('lists exactly the top-level keys the reference groups by, each value as the reference writes it', () => {
    for (const details of cases) {
      const text = JSON.stringify(details);
      const index = detailsIndex(text);
      const parsed = JSON.parse(text) as Record<string, unknown>;
      for (const key of [...Object.keys(parsed), 'version', 'missing', 'meta']) {
        const at = index.keys.indexOf(key);
        const ref = groupOf({ ts: '', scenario: '', event: 'e', details: parsed }, key);
        // Absent from the index ⇔ the reference's "(none)" (a value "(none)" itself is the same group).
        expect(at === -1 ? NO_GROUP : index.values[at], `${text} by ${key}`).toBe(ref);
      }
    }
    expect(detailsIndex(JSON.stringify(cases[3]))).toEqual({ keys: [], values: [] });
    expect(detailsIndex(JSON.stringify(cases[1]))).toEqual({ keys: ['version', 'beta', 'ratio', 'big', 'neg'], values: ['3', 'true', '1.5e-7', '1e+21', '0'] });
    expect(detailsIndex('')).toEqual({ keys: [], values: [] });
  });
});
