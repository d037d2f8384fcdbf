import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseStoredLine } from '../core/storedLine.js';
import { LineFields, scanJsonLine } from './jsonLine.js';
import { CHECK_INVALID, CHECK_JS, CHECK_VALID, SEARCH_FOUND, SEARCH_JS, SEARCH_NONE, SEARCH_NOT_FOUND, type IndexOptions } from './lineIndex.js';
import { LINES_WASM } from './linesWasm.js';
import { Matcher } from './matcher.js';
import { compileQuery, type LogEntry, type LogQuery } from './query.js';
import { RawSearch } from './rawSearch.js';
import { LineScanner } from './scanner.js';
import type { EntrySink } from './sinks.js';

// The reference for everything below: the one stored-line rule (core/storedLine.ts: JSON.parse, an object with a
// non-empty string event and object details), and the parsed-line filters (query.ts `test`).
function reference(line: string): LogEntry | undefined {
  const parsed = parseStoredLine(line);
  return typeof parsed === 'string' ? undefined : (parsed as unknown as LogEntry);
}

interface Checked {
  line: string;
  status: number;
  search: number;
  fields: LineFields;
}

/** Run lines (each `{...}`) through the WebAssembly index with validation, collecting what it says of each. */
function indexLines(lines: string[], options: IndexOptions, chunkBytes = 256): Checked[] {
  const out: Checked[] = [];
  const scanner = new LineScanner(
    {
      line: (b, s, e, _n, check) => {
        // Field offsets relative to the line, as jsonLine.ts gives them for the line alone.
        const f = Object.assign(new LineFields(), check.fields) as unknown as Record<string, number>;
        if (check.status === CHECK_VALID) for (const k of Object.keys(f)) if (f[k] !== -1) f[k] = f[k]! - s;
        out.push({ line: b.toString('utf8', s, e), status: check.status, search: check.search, fields: f as unknown as LineFields });
      },
      invalid: () => undefined,
    },
    { ...options, chunkBytes, maxLineBytes: 1 << 20 },
  );
  scanner.feed(Buffer.from(lines.join('\n') + '\n'));
  scanner.end();
  return out;
}

const NEEDLES = ['x', 'needle', '12', 'true', 'é'] as const;

// Event lines shaped like stored ones, with the needles, escapes, numbers and deep nesting mixed in.
const text = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('needle', 'x', 'a"b', 'tab\there', 'nl\nx', 'é', '\u0078', 'ne\\edle', '12', '1e3'));
const details = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.dictionary(text, fc.oneof(text, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null))),
  fc.integer({ min: 30, max: 36 }).map((depth) => {
    let v: unknown = { deep: 'needle x 12' };
    for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { k: v };
    return v;
  }),
);
const eventLine = fc
  .record(
    {
      ts: fc.constantFrom('2025-01-15T12:00:00.000Z', '2025-01-16T00:00:00Z', 'not a time'),
      scenario: fc.constant('s'),
      installation_id: fc.constantFrom('8343cc7a-8ad1-42d4-97d2-43452c0bdfa3', 'inst-1'),
      event: fc.oneof(fc.constantFrom('app_start', 'crash', 'x_failed', 'needle', 'a', ''), text),
      level: fc.oneof(fc.constantFrom('warn', 'error', 'FATAL'), fc.integer()),
      details,
      extra: text,
    },
    { requiredKeys: ['event'] },
  )
  .chain((o) => fc.constantFrom(JSON.stringify(o), JSON.stringify(o).replace(/,"/g, ' , "').replace(/":/g, '" :\t'), JSON.stringify(o).replace('"event"', '"\\u0065vent"')));

// Damage: the kinds of change that turn a line into invalid JSON (or into different valid JSON).
const mutated = fc
  .tuple(eventLine, fc.nat(), fc.constantFrom('delete', 'insert', 'replace', 'truncate'), fc.constantFrom('"', '\\', '{', '}', '[', ']', ',', ':', '0', '-', 'e', '.', ' ', 'x', '\u0001', 'u', 't', 'n', '1'))
  .map(([line, at, how, ch]) => {
    const i = 1 + (at % Math.max(1, line.length - 2));
    if (how === 'delete') return line.slice(0, i) + line.slice(i + 1);
    if (how === 'insert') return line.slice(0, i) + ch + line.slice(i);
    if (how === 'replace') return line.slice(0, i) + ch + line.slice(i + 1);
    return line.slice(0, i) + '}';
  })
  .filter((l) => l.startsWith('{') && l.endsWith('}') && !l.includes('\n'));

describe('line index (lines.wat)', () => {
  it('linesWasm.ts is lines.wat compiled (run `npm run wasm` after editing the .wat)', async () => {
    const { compileLinesWat } = await import('../scripts/wasm.mjs');
    expect(await compileLinesWat()).toBe(LINES_WASM);
    expect(readFileSync(fileURLToPath(new URL('./lines.wat', import.meta.url)), 'utf8')).toContain('(func (export "scan")');
  });

  it('validates exactly what JSON.parse accepts (as an object with a non-empty string event), and locates the fields like jsonLine.ts', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(eventLine, mutated, mutated), { minLength: 1, maxLength: 30 }), fc.constantFrom(64, 256, 4096), (lines, chunk) => {
        const checked = indexLines(lines, { validate: true }, chunk);
        expect(checked.map((c) => c.line)).toEqual(lines);
        for (const c of checked) {
          const ref = reference(c.line);
          const f = new LineFields();
          const js = scanJsonLine(Buffer.from(c.line), 0, Buffer.byteLength(c.line), f);
          // jsonLine.ts (the JavaScript validator) agrees with JSON.parse on every line...
          expect(js === undefined, c.line).toBe(ref !== undefined);
          // ...and the index agrees too, or leaves the line to JavaScript.
          if (c.status === CHECK_VALID) {
            expect(ref, c.line).toBeDefined();
            expect(c.fields, c.line).toEqual(f);
          } else if (c.status === CHECK_INVALID) {
            expect(ref, c.line).toBeUndefined();
          } else expect(c.status, c.line).toBe(CHECK_JS);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a stored line with installation_id (after deployment_id) is valid and its fields are located as without it', () => {
    const withId = '{"ts":"2025-01-15T12:00:00.000Z","scenario":"s","deployment_id":"d","installation_id":"8343cc7a-8ad1-42d4-97d2-43452c0bdfa3","event":"app_start","level":"warn","details":{"a":1},"id":"i"}';
    const without = '{"ts":"2025-01-15T12:00:00.000Z","scenario":"s","deployment_id":"d","event":"app_start","level":"warn","details":{"a":1},"id":"i"}';
    const [a, b] = indexLines([withId, without], { validate: true });
    expect(a!.status).toBe(CHECK_VALID);
    expect(b!.status).toBe(CHECK_VALID);
    const shift = withId.length - without.length;
    for (const [k, v] of Object.entries(b!.fields as unknown as Record<string, number>)) {
      const got = (a!.fields as unknown as Record<string, number>)[k]!;
      expect(got, k).toBe(v === -1 || k.startsWith('ts') ? v : v + shift);
    }
  });

  it('searches event names and details the way the parsed search does (or leaves it to JavaScript)', () => {
    let decided = 0;
    fc.assert(
      fc.property(fc.array(eventLine, { minLength: 1, maxLength: 20 }), fc.constantFrom(...NEEDLES), (lines, needle) => {
        const q = compileQuery({ search: needle });
        const checked = indexLines(lines, q.scanOptions());
        const raw = new RawSearch(needle);
        for (const c of checked) {
          const ref = reference(c.line);
          if (ref === undefined || c.status !== CHECK_VALID) continue;
          const want = q.test(ref);
          const b = Buffer.from(c.line);
          // rawSearch.ts (JavaScript, on the bytes) agrees with the parsed search, for the needles it is used for.
          if (q.scanOptions().searchFields) expect(raw.inEvent(b, c.fields) || raw.inDetails(b, c.fields), `${needle} in ${c.line}`).toBe(want);
          if (c.search === SEARCH_JS || c.search === SEARCH_NONE) continue;
          decided++;
          expect(c.search, `${needle} in ${c.line}`).toBe(want ? SEARCH_FOUND : SEARCH_NOT_FOUND);
        }
      }),
      { numRuns: 300 },
    );
    expect(decided).toBeGreaterThan(200);
  });
});

/** Lines through a Matcher into a sink that takes blocks of lines (direct output) or not; small reads. */
function matchLines(lines: string[], query: LogQuery, blocks: boolean, chunkBytes?: number) {
  const emitted: string[] = [];
  const sink: EntrySink = { write: (b, s, e) => void emitted.push(b.toString('utf8', s, e)), flush: () => undefined, end: () => undefined };
  let blockCalls = 0;
  let blockBytes = 0;
  if (blocks)
    sink.writeBlock = (b, s, e) => {
      blockCalls++;
      blockBytes = Math.max(blockBytes, e - s);
      emitted.push(...b.toString('utf8', s, e).split('\n').slice(0, -1));
    };
  const warnings: string[] = [];
  const m = new Matcher(() => 'gen', sink, { query, warn: (w) => void warnings.push(w) });
  const input = Buffer.from(lines.join('\n') + '\n');
  // Fed in pieces, so lines cross reads.
  const step = chunkBytes ?? 97;
  for (let off = 0; off < input.length; off += step) m.scanner.feed(input.subarray(off, off + step));
  m.scanner.end();
  return { emitted, warnings, result: m.result, blockCalls, blockBytes };
}

describe('Matcher on generated lines', () => {
  it('direct output keeps file order across a full output area, undecided lines and invalid ones', () => {
    const lines: string[] = [];
    for (let i = 0; i < 6000; i++) {
      if (i % 997 === 0) lines.push(`{"event":"e${i}","details":{"x":"\\u0078 escaped ${i}"}}`); // left to JavaScript
      else if (i % 1499 === 0) lines.push(`{"event":"x${i}", broken}`); // invalid
      else if (i % 3 === 0) lines.push(JSON.stringify({ event: 'e', details: { i, pad: 'p'.repeat(i % 200) } })); // no x
      else lines.push(JSON.stringify({ event: 'e', details: { i, platform: 'linux-x64', pad: 'p'.repeat(i % 200) } }));
    }
    const q = compileQuery({ search: 'x' });
    expect(q.searchOnly).toBe(true);
    const want = lines.filter((l) => {
      const r = reference(l);
      return r !== undefined && q.test(r);
    });
    const plain = matchLines(lines, { search: 'x' }, false, 4096);
    const direct = matchLines(lines, { search: 'x' }, true, 128 * 1024);
    expect(want.length).toBeGreaterThan(3900);
    expect(direct.emitted).toEqual(want);
    expect(plain.emitted).toEqual(want);
    expect(direct.result).toEqual(plain.result);
    expect(direct.warnings).toEqual(plain.warnings);
    expect(direct.warnings).toHaveLength(lines.filter((l) => l.includes('broken')).length);
    // The index copied the lines (in blocks, some filling its 64 KiB output area), not JavaScript line by line.
    expect(direct.blockCalls).toBeGreaterThan(10);
    expect(direct.blockBytes).toBeGreaterThan(60_000);
    expect(direct.blockBytes).toBeLessThanOrEqual(65_536);
  });

  const queries: LogQuery[] = [
    { search: 'x' },
    { search: 'needle' },
    { search: '12' },
    { search: 'NEEDLE', ignoreCase: true },
    { search: 'a"b' },
    { events: ['app_start'] },
    { events: ['needle', 'crash'] },
    { level: 'error' },
    { since: Date.parse('2025-01-15T12:00:00Z'), until: Date.parse('2025-01-15T23:00:00Z') },
    { search: 'x', level: 'warn', events: ['x', 'needle', 'app_start'] },
    {},
  ];

  it('emits exactly the valid lines the parsed filters keep, and reports every other non-blank line', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(eventLine, eventLine, mutated, fc.constantFrom('', '  ', 'torn {', '{"event":"x"')), { maxLength: 40 }), fc.constantFrom(...queries), (lines, query) => {
        const q = compileQuery(query);
        // The prefilter: a line without the needle is only checked for shape ({...}), never parsed.
        const needle = q.scanOptions().needle;
        const has = (l: string): boolean => {
          if (needle === undefined) return true;
          const n = Buffer.from(needle.bytes).toString('latin1');
          return needle.caseless ? Buffer.from(l).toString('latin1').toLowerCase().includes(n.toLowerCase()) : Buffer.from(l).toString('latin1').includes(n);
        };
        const want: string[] = [];
        let bad = 0;
        for (const l of lines) {
          const t = l.replace(/^[ \t]+|[ \t\r]+$/g, '');
          if (t === '') continue;
          if (!(t.startsWith('{') && t.endsWith('}'))) {
            bad++;
            continue;
          }
          if (!has(t)) continue;
          const ref = reference(t);
          if (ref === undefined) bad++;
          else if (q.test(ref)) want.push(t);
        }
        // Both ways out: line by line, and direct output (the index copies matching lines itself) when possible.
        for (const run of [matchLines(lines, query, false), matchLines(lines, query, true)]) {
          expect(run.emitted).toEqual(want);
          expect(run.warnings).toHaveLength(bad);
          expect(run.result).toEqual({ matched: want.length, skipped: bad });
        }
      }),
      { numRuns: 300 },
    );
  });
});
