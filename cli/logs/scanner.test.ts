import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpDir } from '../../test/helpers.js';
import { bytePrefilter, caselessPrefilter, LineScanner, type Prefilter } from './scanner.js';

function collect(prefilter?: Prefilter, options: { chunkBytes?: number; maxLineBytes?: number } = {}) {
  const lines: [number, string][] = [];
  const invalid: [number, string][] = [];
  const scanner = new LineScanner(
    { line: (text, n) => void lines.push([n, text]), invalid: (n, why) => void invalid.push([n, why]) },
    { prefilter, ...options },
  );
  return { scanner, lines, invalid };
}

describe('LineScanner', () => {
  it('numbers every physical line, skips blank ones, reports torn and non-object lines', () => {
    const { scanner, lines, invalid } = collect();
    scanner.feed(Buffer.from('{"a":1}\r\n\n{"b":2\nnot json\n  {"c":3}  \n{"d":'));
    scanner.end();
    expect(lines).toEqual([
      [1, '{"a":1}'],
      [5, '{"c":3}'],
    ]);
    expect(invalid.map(([n]) => n)).toEqual([3, 4, 6]);
    expect(invalid[0]![1]).toMatch(/torn/);
    expect(invalid[1]![1]).toMatch(/not a JSON object/);
    expect(invalid[2]![1]).toMatch(/no line break at end of file/);
  });

  it('gives the same lines however the input is chunked, with or without a prefilter', () => {
    const line = fc.record({ v: fc.string({ maxLength: 40 }), x: fc.boolean() }).map(({ v, x }) => JSON.stringify({ v: x ? v + 'needle' : v }));
    fc.assert(
      fc.property(fc.array(fc.oneof(line, fc.constant(''), fc.constant('{torn')), { maxLength: 40 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 10 }), (ls, cuts) => {
        const input = Buffer.from(ls.join('\n') + '\n');
        const whole = collect();
        whole.scanner.feed(input);
        whole.scanner.end();
        for (const pf of [undefined, bytePrefilter('needle'), caselessPrefilter('NEEDLE')]) {
          const chunked = collect(pf, { chunkBytes: 16, maxLineBytes: 1 << 20 });
          let off = 0;
          for (let i = 0; off < input.length; i++) {
            const n = cuts[i % cuts.length]!;
            chunked.scanner.feed(input.subarray(off, off + n));
            off += n;
          }
          chunked.scanner.end();
          const expected = pf === undefined ? whole.lines : whole.lines.filter(([, t]) => t.toLowerCase().includes('needle'));
          expect(chunked.lines).toEqual(expected);
          expect(chunked.invalid).toEqual(whole.invalid);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('skips a line longer than the limit, reporting its number, and carries on', () => {
    const { scanner, lines, invalid } = collect(undefined, { chunkBytes: 8, maxLineBytes: 32 });
    scanner.feed(Buffer.from(`{"a":1}\n{"long":"${'x'.repeat(100)}"}\n{"b":2}\n`));
    scanner.end();
    expect(lines).toEqual([
      [1, '{"a":1}'],
      [3, '{"b":2}'],
    ]);
    expect(invalid).toEqual([[2, 'line longer than 32 bytes skipped']]);
  });

  it('decodes UTF-8 split across reads and stops when a handler says so', async () => {
    const dir = tmpDir();
    const file = join(dir, 's.jsonl');
    await writeFile(file, Array.from({ length: 50 }, (_, i) => JSON.stringify({ i, t: 'žluťoučký kůň 🐎' })).join('\n') + '\n');
    const seen: string[] = [];
    const scanner = new LineScanner({ line: (t) => seen.push(t) < 7, invalid: () => undefined }, { chunkBytes: 7, maxLineBytes: 1024 });
    const fh = await open(file, 'r');
    try {
      await scanner.readFrom(fh, 0);
    } finally {
      await fh.close();
    }
    expect(seen).toHaveLength(7);
    expect(seen.map((s) => JSON.parse(s) as { t: string }).every((o) => o.t === 'žluťoučký kůň 🐎')).toBe(true);
  });
});
