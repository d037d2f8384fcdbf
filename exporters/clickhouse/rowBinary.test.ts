import { describe, expect, it } from 'vitest';
import { detailsIndex } from './detailsIndex.js';
import { encodeKeysRowBinary, encodeRowsRowBinary } from './rowBinary.js';
import type { EventRow } from './rows.js';

/** A RowBinary reader for INSERT_COLUMNS, written from the format's description (not from the encoder). */
function decode(buf: Buffer, keysOnly = false): unknown[][] {
  let pos = 0;
  const varint = () => {
    let n = 0;
    let shift = 0;
    for (;;) {
      const b = buf[pos++]!;
      n += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return n;
      shift += 7;
    }
  };
  const str = () => {
    const n = varint();
    const s = buf.toString('utf8', pos, pos + n);
    pos += n;
    return s;
  };
  const u64 = () => {
    const v = buf.readBigUInt64LE(pos);
    pos += 8;
    return Number(v);
  };
  const nullable = () => (buf[pos++] === 1 ? null : str());
  const array = () => Array.from({ length: varint() }, str);
  const rows: unknown[][] = [];
  while (pos < buf.length && keysOnly) rows.push([str(), u64(), str()]);
  while (pos < buf.length) rows.push([str(), u64(), str(), str(), nullable(), nullable(), str(), str(), array(), array(), buf[pos++], u64()]);
  return rows;
}

const row = (over: Partial<EventRow>): EventRow => ({ scenario: 's', ts_ms: 0, id: 'i', event: 'e', deployment_id: null, installation_id: null, level: '', details: '', seq: 1, ...over });

describe('RowBinary rows', () => {
  it('decode to the same columns: non-ASCII, long texts (multi-byte lengths), NULLs, large integers, the details index', () => {
    const long = 'x'.repeat(200) + 'é'.repeat(9000);
    const rows: EventRow[] = [
      row({ scenario: 'shop', ts_ms: 1_735_689_600_123, id: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', event: 'app_start', deployment_id: 'd-1', installation_id: 'inst', level: 'warn', details: JSON.stringify({ version: '1.0.0', n: 3, ok: true, nested: { a: 1 } }), seq: 2 ** 53 - 1 }),
      row({ id: 'tab\there\nnew "q" \\', event: 'ünïcødé 🎉 \u2028', deployment_id: '', installation_id: long, details: JSON.stringify({ 'k\'ey': 'vä\tl', emoji: '🎉' }) }),
      row({ ts_ms: 2 ** 40 + 5, details: JSON.stringify({ big: long }), seq: 0 }),
    ];
    const decoded = decode(encodeRowsRowBinary(rows));
    expect(decoded).toEqual(
      rows.map((r) => {
        const index = r.details === '' ? { keys: [], values: [] } : detailsIndex(r.details);
        return [r.scenario, r.ts_ms, r.id, r.event, r.deployment_id, r.installation_id, r.level, r.details, index.keys, index.values, 1, r.seq];
      }),
    );
  });

  it('decodes strings at every length where the encoder changes path (char by char, one-byte length, longer lengths) and bodies that outgrow the first buffer', () => {
    const lengths = [0, 1, 15, 16, 17, 42, 43, 44, 127, 128, 129, 5000];
    const texts = lengths.flatMap((n) => ['a'.repeat(n), 'é'.repeat(n), 'a'.repeat(Math.max(0, n - 1)) + '🎉', '\u2028'.repeat(n)]);
    const rows = texts.map((t, i) => row({ scenario: t.slice(0, 100), ts_ms: i, id: t, event: t, installation_id: t, level: t.slice(0, 20), details: JSON.stringify({ t }), seq: i }));
    const decoded = decode(encodeRowsRowBinary(rows));
    expect(decoded.map((r) => [r[0], r[2], r[3], r[5], r[6], r[7], r[8], r[9]])).toEqual(rows.map((r) => [r.scenario, r.id, r.event, r.installation_id, r.level, r.details, ['t'], [JSON.parse(r.details).t]]));
    expect(decode(encodeKeysRowBinary(rows), true)).toEqual(rows.map((r) => [r.scenario, r.ts_ms, r.id]));
  });

  it('writes a lone surrogate as U+FFFD, as UTF-8 encoding does everywhere else', () => {
    const [r] = decode(encodeRowsRowBinary([row({ event: 'a\ud800b' })]));
    expect(r![3]).toBe('a\ufffdb');
  });

  it('writes lookup keys (scenario, ts_ms, id) that decode to the same values', () => {
    const rows = [row({ scenario: 'shop', ts_ms: 1_735_689_600_123, id: 'a-1' }), row({ scenario: 'ünï', ts_ms: 2 ** 40 + 5, id: 'x'.repeat(300) })];
    expect(decode(encodeKeysRowBinary(rows), true)).toEqual(rows.map((r) => [r.scenario, r.ts_ms, r.id]));
  });
});
