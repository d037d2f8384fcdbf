import { describe, expect, it } from 'vitest';
import { encodeKeysRowBinary } from './rowBinary.js';
import type { EventRow } from './rows.js';
import { BinaryReader } from '../../test/binaryReader.js';

/** The lookup keys (`s String, t UInt64, i String`) as RowBinary rows. */
function decode(buf: Buffer): unknown[][] {
  const r = new BinaryReader(buf);
  const rows: unknown[][] = [];
  while (!r.atEnd) rows.push([r.string(), r.uint64(), r.string()]);
  return rows;
}

const row = (over: Partial<EventRow>): EventRow => ({ scenario: 's', ts_ms: 0, id: 'i', event: 'e', deployment_id: null, installation_id: null, level: '', details: '', seq: 1, ...over });

describe('RowBinary lookup keys', () => {
  it('writes keys at every length where the writer changes path, in bodies that outgrow the first buffer', () => {
    const lengths = [0, 1, 15, 16, 17, 42, 43, 44, 127, 128, 129, 5000];
    const texts = lengths.flatMap((n) => ['a'.repeat(n), 'é'.repeat(n), 'a'.repeat(Math.max(0, n - 1)) + '🎉', '\u2028'.repeat(n)]);
    const rows = texts.map((t, i) => row({ scenario: t.slice(0, 100), ts_ms: i, id: t }));
    expect(decode(encodeKeysRowBinary(rows))).toEqual(rows.map((r) => [r.scenario, r.ts_ms, r.id]));
  });

  it('writes lookup keys (scenario, ts_ms, id) that decode to the same values', () => {
    const rows = [row({ scenario: 'shop', ts_ms: 1_735_689_600_123, id: 'a-1' }), row({ scenario: 'ünï', ts_ms: 2 ** 40 + 5, id: 'x'.repeat(300) })];
    expect(decode(encodeKeysRowBinary(rows))).toEqual(rows.map((r) => [r.scenario, r.ts_ms, r.id]));
  });
});
