import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpDir } from '../test/helpers.js';
import { LineScanner, needleOf, type Needle } from './scanner.js';

function collect(needle?: Needle, options: { chunkBytes?: number; maxLineBytes?: number } = {}) {
  const lines: [number, string][] = [];
  const invalid: [number, string][] = [];
  const scanner = new LineScanner(
    { line: (b, s, e, n) => void lines.push([n, b.toString('utf8', s, e)]), invalid: (n, why) => void invalid.push([n, why]) },
    { needle, ...options },
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

  it('agrees with a plain split-and-check model, however the input is chunked, with or without a needle', () => {
    // The model: split on line breaks; a line is trimmed (spaces/tabs, and CR at the end), blank ones are skipped,
    // one that is not {...} is invalid, and with a needle only lines containing it (ASCII case folded) are handed on.
    const model = (input: string, needle: string | undefined, caseless: boolean) => {
      const lines: [number, string][] = [];
      const invalid: number[] = [];
      const parts = input.split('\n');
      parts.forEach((raw, i) => {
        const t = raw.replace(/[\r \t]+$/, '').replace(/^[ \t]+/, '');
        if (t === '') return;
        if (!(t.startsWith('{') && t.endsWith('}'))) return void invalid.push(i + 1);
        const has = needle === undefined || (caseless ? raw.toLowerCase().includes(needle.toLowerCase()) : raw.includes(needle));
        if (has) lines.push([i + 1, t]);
      });
      return { lines, invalid };
    };
    const piece = fc.constantFrom('{', '}', '{"a":1}', 'needle', 'NeEdLe', 'needl', 'eedle', 'x', ' ', '\r', '\t', 'é', '🐎', '"', ',', '\n', '\n\n');
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 120 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 10 }),
        fc.constantFrom(8, 16, 33, 1024),
        (pieces, cuts, chunkBytes) => {
          const text = pieces.join('');
          const input = Buffer.from(text);
          for (const [needle, caseless] of [[undefined, false], ['needle', false], ['NEEDLE', true], ['x', false], ['é', false]] as const) {
            const chunked = collect(needle === undefined ? undefined : needleOf(needle, caseless), { chunkBytes, maxLineBytes: 1 << 20 });
            let off = 0;
            for (let i = 0; off < input.length; i++) {
              const n = cuts[i % cuts.length]!;
              chunked.scanner.feed(input.subarray(off, off + n));
              off += n;
            }
            chunked.scanner.end();
            const expected = model(text, needle, caseless);
            expect(chunked.lines).toEqual(expected.lines);
            expect(chunked.invalid.map(([n]) => n)).toEqual(expected.invalid);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('reports every line that needs a look when there are more than one report holds (4096)', () => {
    const { scanner, lines, invalid } = collect(needleOf('k', false), { chunkBytes: 1 << 20 });
    const body = Array.from({ length: 10_000 }, (_, i) => (i % 3 === 0 ? 'torn' : i % 3 === 1 ? '{"k":1}' : '{"a":1}')).join('\n') + '\n';
    scanner.feed(Buffer.from(body));
    scanner.end();
    expect(lines).toHaveLength(3333);
    expect(invalid).toHaveLength(3334);
    expect(lines.at(-1)).toEqual([9998, '{"k":1}']);
    expect(invalid.at(-1)![0]).toBe(10_000);
  });

  it('numbers lines right when most are passed in bulk: torn lines far apart, a needle elsewhere', () => {
    const { scanner, lines, invalid } = collect(needleOf('needle', false), { chunkBytes: 64 * 1024 });
    const input: string[] = [];
    const torn = new Set([1, 777, 5000, 12_345, 19_999]);
    for (let i = 1; i <= 20_000; i++) {
      if (torn.has(i)) input.push(`{"event":"e","n":${i}`);
      else if (i % 1000 === 0) input.push(`{"event":"needle","n":${i}}`);
      else input.push(`{"event":"e","n":${i},"pad":"${'p'.repeat(i % 90)}"}`);
    }
    scanner.feed(Buffer.from(input.join('\n') + '\n'));
    scanner.end();
    expect(invalid.map(([n]) => n)).toEqual([...torn]);
    expect(lines.map(([n]) => n)).toEqual(Array.from({ length: 20 }, (_, k) => (k + 1) * 1000).filter((n) => !torn.has(n)));
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
    const scanner = new LineScanner({ line: (b, s, e) => seen.push(b.toString('utf8', s, e)) < 7, invalid: () => undefined }, { chunkBytes: 7, maxLineBytes: 1024 });
    const fh = await open(file, 'r');
    try {
      await scanner.readFrom(fh.fd, 0);
    } finally {
      await fh.close();
    }
    expect(seen).toHaveLength(7);
    expect(seen.map((s) => JSON.parse(s) as { t: string }).every((o) => o.t === 'žluťoučký kůň 🐎')).toBe(true);
  });
});
