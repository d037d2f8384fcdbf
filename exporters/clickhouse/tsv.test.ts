import { describe, expect, it } from 'vitest';
import { serializeFields } from '../../core/line.js';
import { detailsOfLine } from '../../core/line.js';
import { parseTsv, tsvField, unescapeTsv } from './tsv.js';

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

  /** The rule parseTsv implements, written the plain way: lines, then fields, each unescaped. */
  const reference = (text: string): (string | null)[][] =>
    text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.split('\t').map((f) => (f === '\\N' ? null : unescapeTsv(f))));

  it('reads an answer back as fields: NULLs, escapes, lines with and without backslashes, one column or several', () => {
    const row = (fields: (string | null)[]): string => fields.map((f) => (f === null ? '\\N' : tsvField(f))).join('\t') + '\n';
    const rows: (string | null)[][] = [['1'], ['a', 'b', 'c'], ...awkward.map((a) => [a, 'x', null]), [null], ['x', ''], ['', ''], ['9', 'plain']];
    const text = rows.map(row).join('');
    expect(parseTsv(text)).toEqual(rows);
    expect(parseTsv(text.slice(0, -1))).toEqual(rows); // no newline after the last line
    expect(parseTsv('')).toEqual([]);
    expect(parseTsv('a\tb\n\nc\n')).toEqual([['a', 'b'], ['c']]); // an empty line is no row
  });

  it('agrees with the plain rule on generated answers (where the next tab or backslash is far away or absent)', () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const pieces = ['a', 'ü', '12', '\\N', '\\t', '\\\\', '\\n', 'x\\ty'];
    for (let k = 0; k < 300; k++) {
      let text = '';
      const lines = 1 + random(40);
      const columns = 1 + random(3);
      for (let l = 0; l < lines; l++) {
        const fields: string[] = [];
        for (let c = 0; c < columns; c++) {
          let f = '';
          for (let i = random(4); i > 0; i--) f += pieces[random(pieces.length)];
          fields.push(f);
        }
        text += fields.join('\t') + (l < lines - 1 || random(2) === 0 ? '\n' : '');
      }
      expect(parseTsv(text)).toEqual(reference(text));
    }
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
