import { describe, expect, it } from 'vitest';
import { serializeFields } from '../../core/line.js';
import { detailsOfLine } from '../../core/line.js';
import { encodeRowsTsv, parseTsv, tsvField, unescapeTsv } from './tsv.js';

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

  it('writes one line per row, NULL as \\N, details with doubled backslashes, the details index as quoted arrays', () => {
    const text = encodeRowsTsv([
      { scenario: 's', ts_ms: 5, id: 'a\tb', event: 'e\n', deployment_id: null, installation_id: 'i', level: '', details: JSON.stringify({ x: 'q"\n\\', "it's": 2, o: { x: 1 } }), seq: 7 },
      { scenario: 's', ts_ms: 6, id: 'c', event: 'e', deployment_id: 'd', installation_id: null, level: 'warn', details: '', seq: 8 },
    ]);
    expect(text.split('\n')).toHaveLength(3);
    const [row, plain] = parseTsv(text);
    expect(row!.slice(0, 8)).toEqual(['s', '5', 'a\tb', 'e\n', null, 'i', '', JSON.stringify({ x: 'q"\n\\', "it's": 2, o: { x: 1 } })]);
    // Arrays are read by ClickHouse in its quoted form (not TabSeparated-unescaped): compare the raw fields.
    expect(text.split('\n')[0]!.split('\t').slice(8)).toEqual([String.raw`['x','it\'s']`, String.raw`['q"\n\\','2']`, '1', '7']);
    expect(plain).toEqual(['s', '6', 'c', 'e', 'd', null, 'warn', '', '[]', '[]', '1', '8']);
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
