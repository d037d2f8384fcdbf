import { describe, expect, it } from 'vitest';
import { detailsIndex } from './detailsIndex.js';
import { encodeRowsNative, encodeRunNative, joinNative } from './native.js';
import type { EventRow } from './rows.js';
import { EVENT_COLUMNS } from './schema.js';
import { INSERT_COLUMNS } from './tsv.js';
import { BinaryReader } from '../../test/binaryReader.js';

/**
 * A Native block reader for the events table's column types, written from the format's description (not from the
 * encoder): the block's column and row counts, then per column its name, type and values.
 */
function decode(buf: Buffer): { columns: [string, string][]; rows: unknown[][] } {
  const r = new BinaryReader(buf);
  const times = <T>(n: number, f: () => T): T[] => Array.from({ length: n }, f);
  const column = (type: string, n: number): unknown[] => {
    if (type === 'String') return times(n, () => r.string());
    if (type === 'UInt64') return times(n, () => r.uint64());
    if (type === 'UInt8') return times(n, () => r.uint8());
    const nullable = /^Nullable\((.+)\)$/.exec(type);
    if (nullable) {
      const isNull = times(n, () => r.uint8() === 1);
      const values = column(nullable[1]!, n);
      return values.map((v, i) => (isNull[i] ? null : v));
    }
    const array = /^Array\((.+)\)$/.exec(type);
    if (array) {
      const ends = times(n, () => r.uint64());
      const elements = column(array[1]!, ends[n - 1] ?? 0);
      return ends.map((end, i) => elements.slice(i === 0 ? 0 : ends[i - 1], end));
    }
    throw new Error(`no reader for ${type}`);
  };
  const count = r.varint();
  const n = r.varint();
  const columns: [string, string][] = [];
  const values: unknown[][] = [];
  for (let c = 0; c < count; c++) {
    const name = r.string();
    const type = r.string();
    columns.push([name, type]);
    values.push(column(type, n));
  }
  if (!r.atEnd) throw new Error(`${r.left} bytes after the block`);
  return { columns, rows: times(n, () => []).map((_, i) => values.map((v) => v[i])) };
}

const row = (over: Partial<EventRow>): EventRow => ({ scenario: 's', ts_ms: 0, id: 'i', event: 'e', deployment_id: null, installation_id: null, level: '', details: '', seq: 1, ...over });

const expected = (r: EventRow): unknown[] => {
  const index = r.details === '' ? { keys: [], values: [] } : detailsIndex(r.details);
  return [r.scenario, r.ts_ms, r.id, r.event, r.deployment_id, r.installation_id, r.level, r.details, index.keys, index.values, 1, r.seq];
};

describe('Native blocks', () => {
  it('name the events table\'s columns and types, in the order the INSERT names them', () => {
    const { columns } = decode(encodeRowsNative([row({})]));
    expect(columns).toEqual(EVENT_COLUMNS.map(([n, t]) => [n, t]));
    expect(columns.map(([n]) => n).join(', ')).toBe(INSERT_COLUMNS);
  });

  it('decode to the same rows: non-ASCII, long texts (multi-byte lengths), NULL and "" apart, large integers, details indexes of 0, 1 and several keys', () => {
    const long = 'x'.repeat(200) + 'é'.repeat(9000);
    const rows: EventRow[] = [
      row({ scenario: 'shop', ts_ms: 1_735_689_600_123, id: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', event: 'app_start', deployment_id: 'd-1', installation_id: 'inst', level: 'warn', details: JSON.stringify({ version: '1.0.0', n: 3, ok: true, nested: { a: 1 } }), seq: 2 ** 53 - 1 }),
      row({ id: 'tab\there\nnew "q" \\', event: 'ünïcødé 🎉 \u2028', deployment_id: '', installation_id: long, details: JSON.stringify({ 'k\'ey': 'vä\tl', emoji: '🎉' }) }),
      row({ ts_ms: 2 ** 40 + 5, details: JSON.stringify({ big: long }), seq: 0 }),
      row({ deployment_id: null, installation_id: '', details: JSON.stringify({ only: null, list: [1] }) }),
      row({ details: JSON.stringify({ one: 'x' }), level: 'error' }),
    ];
    expect(decode(encodeRowsNative(rows)).rows).toEqual(rows.map(expected));
  });

  it('decode strings at every length where the writer changes path, in bodies that outgrow the first buffer', () => {
    const lengths = [0, 1, 15, 16, 17, 42, 43, 44, 127, 128, 129, 5000];
    const texts = lengths.flatMap((n) => ['a'.repeat(n), 'é'.repeat(n), 'a'.repeat(Math.max(0, n - 1)) + '🎉', '\u2028'.repeat(n)]);
    const rows = texts.map((t, i) => row({ scenario: t.slice(0, 100), ts_ms: i, id: t, event: t, deployment_id: i % 2 === 0 ? t : null, installation_id: t, level: t.slice(0, 20), details: JSON.stringify({ t }), seq: i }));
    expect(decode(encodeRowsNative(rows)).rows).toEqual(rows.map(expected));
  });

  it('writes a lone surrogate as U+FFFD, as UTF-8 encoding does everywhere else', () => {
    const [r] = decode(encodeRowsNative([row({ event: 'a\ud800b' })])).rows;
    expect(r![3]).toBe('a\ufffdb');
  });

  it('runs encoded per append and joined make the same block, byte for byte, as the rows encoded at once', () => {
    let seed = 5;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const texts = ['', 'a', 'shop', 'é'.repeat(20), 'x'.repeat(130), '🎉', 'tab\there', 'a\ud800b'];
    const pick = (): string => texts[rand(texts.length)]!;
    const detailsOf = (): string => ['', JSON.stringify({ version: pick(), n: rand(9) }), JSON.stringify({ only: null, list: [1] }), JSON.stringify({ big: 'x'.repeat(rand(300)) })][rand(4)]!;
    for (let round = 0; round < 60; round++) {
      const rows = Array.from({ length: rand(300) }, (_, i) =>
        row({ scenario: pick(), ts_ms: rand(2 ** 30) * 1024, id: pick() + i, event: pick(), deployment_id: rand(3) === 0 ? null : pick(), installation_id: rand(3) === 0 ? null : pick(), level: pick(), details: detailsOf(), seq: rand(2 ** 30) * 4096 }),
      );
      // Split into runs of random sizes (empty ones too), as appends of a group.
      const runs = [];
      for (let at = 0; at < rows.length || runs.length === 0; ) {
        const size = Math.min(rows.length - at, rand(80));
        runs.push(encodeRunNative(rows.slice(at, at + size)));
        at += size;
      }
      const joined = joinNative(runs, rows);
      const whole = encodeRowsNative(rows);
      if (!joined.equals(whole)) expect(joined.toString('hex')).toBe(whole.toString('hex'));
    }
  });
});
