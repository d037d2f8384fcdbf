import { describe, expect, it } from 'vitest';
import { serializeFields } from '../../core/line.js';
import { detailsOfLine } from '../../core/line.js';
import { tsvField, unescapeTsv } from './tsv.js';

describe('TabSeparated', () => {
  const awkward = ['plain', '', 'tab\there', 'new\nline', 'cr\rhere', 'back\\slash', '\\N', 'ü "quoted" \u2028', 'end\\'];

  it('escapes every field so that ClickHouse reads it back as the same text', () => {
    for (const s of awkward) {
      const f = tsvField(s);
      expect(f).not.toMatch(/[\t\n\r]/);
      expect(unescapeTsv(f)).toBe(s);
    }
    expect(tsvField('\\N')).toBe('\\\\N');
  });
});

describe('details from the serialised line', () => {
  it('is exactly JSON.stringify(details), or "" for none and {}', () => {
    const base = { scenario: 'shop', event: 'e', hrTime: [1, 0] as [number, number], id: 'x,"id":"y', severityNumber: 9 };
    for (const details of [{ a: ',"details":', b: [1, { c: '"id":' }] }, { path: '/ü/"quoted"\n' }, undefined, {}]) {
      const line = serializeFields({ ...base, deploymentId: ',"details":{}', details }).line;
      const json = details === undefined ? '' : JSON.stringify(details);
      expect(detailsOfLine(line)).toBe(json === '{}' ? '' : json);
    }
  });
});
