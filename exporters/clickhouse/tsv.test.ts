import { describe, expect, it } from 'vitest';
import { serializeFields } from '../../core/line.js';
import { detailsOfLine } from '../../collector/stores/clickhouse/ClickHouseStore.js';
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

  it('writes one line per row, NULL as \\N, details with doubled backslashes', () => {
    const text = encodeRowsTsv([
      { scenario: 's', ts_ms: 5, id: 'a\tb', event: 'e\n', deployment_id: null, installation_id: 'i', level: '', details: JSON.stringify({ x: 'q"\n\\' }), seq: 7 },
    ]);
    expect(text.split('\n')).toHaveLength(2);
    const [row] = parseTsv(text);
    expect(row).toEqual(['s', '5', 'a\tb', 'e\n', null, 'i', '', JSON.stringify({ x: 'q"\n\\' }), '7']);
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
