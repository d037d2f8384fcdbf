import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpDir } from '../../test/helpers.js';
import { storeLines } from '../../test/upload/endpoint.js';
import { buildBody, idPrefixFor, looksLikeOwnLine, readBatch, type ReadLimits } from './batchReader.js';

async function read(content: string, start: number, limits: Partial<ReadLimits> = {}) {
  const path = join(tmpDir(), 's.jsonl');
  writeFileSync(path, content);
  const fh = await open(path, 'r');
  try {
    return await readBatch(fh, start, Buffer.byteLength(content), { maxBytes: 4 * 1024 * 1024, maxCount: 1000, scenario: 's', idPrefix: 'lp', ...limits });
  } finally {
    await fh.close();
  }
}

describe('readBatch', () => {
  it('reads whole lines only, with their file offsets', async () => {
    const text = storeLines('s', 0, 3, 'a');
    const r = await read(text + '{"partial', 0);
    if (r.kind !== 'batch') throw new Error(r.kind);
    expect(r.lines.map((l) => JSON.parse(l.json.toString()).id)).toEqual(['a-0', 'a-1', 'a-2']);
    expect(r.end).toBe(Buffer.byteLength(text));
    expect(r.lines[1]!.start).toBe(r.lines[0]!.end);
    // the stored bytes are sent as they are
    expect(r.lines[0]!.json.toString() + '\n').toBe(text.split('\n')[0] + '\n');
  });

  it('stops at the event count and at the byte limit, which both body forms respect', async () => {
    const text = storeLines('s', 0, 50, 'b', 100);
    const byCount = await read(text, 0, { maxCount: 7 });
    expect(byCount.kind === 'batch' && byCount.lines.length).toBe(7);
    const maxBytes = 2048;
    const bySize = await read(text, 0, { maxBytes });
    if (bySize.kind !== 'batch') throw new Error(bySize.kind);
    expect(bySize.lines.length).toBeGreaterThan(1);
    expect(buildBody(bySize.lines, 'json').length).toBeLessThanOrEqual(maxBytes);
    expect(buildBody(bySize.lines, 'ndjson').length).toBeLessThanOrEqual(maxBytes);
    const next = await read(text, bySize.end, { maxBytes });
    expect(next.kind === 'batch' && JSON.parse(next.lines[0]!.json.toString()).id).toBe(`b-${bySize.lines.length}`);
  });

  it('reports an incomplete tail and an oversize line', async () => {
    expect((await read('{"no newline yet"', 0)).kind).toBe('incomplete');
    expect(await read(`{"big":"${'x'.repeat(3000)}"}\n`, 0, { maxBytes: 1024 })).toEqual({ kind: 'oversize', start: 0 });
  });

  it('separates invalid lines, skips blank ones, fills in a missing id and scenario', async () => {
    const r = await read('{"event":"a","id":"x1"}\nnot json\n[1]\n  \n{"event":"b"}\n{}\n', 0);
    if (r.kind !== 'batch') throw new Error(r.kind);
    expect(r.invalid.map((l) => [l.raw.toString(), l.reason.split(' (')[0]])).toEqual([
      ['not json', 'invalid JSON'],
      ['[1]', 'not a JSON object'],
    ]);
    const sent = r.lines.map((l) => JSON.parse(l.json.toString()) as Record<string, unknown>);
    expect(sent[0]).toEqual({ event: 'a', id: 'x1', scenario: 's' });
    expect(sent[1]).toEqual({ event: 'b', scenario: 's', id: `lp-${r.lines[1]!.start.toString(36)}` });
    expect(sent[2]).toEqual({ scenario: 's', id: `lp-${r.lines[2]!.start.toString(36)}` });
  });

  it('recognises lines of our own serialiser by shape (no parse), and only those', async () => {
    const own = storeLines('s', 0, 1, 'own').trim();
    expect(looksLikeOwnLine(Buffer.from(own))).toBe(true);
    expect(looksLikeOwnLine(Buffer.from(own.slice(0, -20)))).toBe(false); // torn
    expect(looksLikeOwnLine(Buffer.from('{"ts":"2025-01-15T12:00:00.000Z","event":"x","id":"a"}'))).toBe(false); // no scenario
    expect(looksLikeOwnLine(Buffer.from(own.replace('"id":"own-0"', '"id":"own\\"-0"')))).toBe(false); // escaped id
    const r = await read(storeLines('s', 0, 2, 'own') + '{"event":"x","id":"y"}\n', 0);
    if (r.kind !== 'batch') throw new Error(r.kind);
    expect(r.lines.map((l) => l.parsed)).toEqual([false, false, true]);
  });

  it('makes valid id prefixes', () => {
    expect(idPrefixFor('0123456789abcdef', '1:2')).toBe('l0123456789abcdef');
    expect(idPrefixFor(undefined, '66:12345')).toBe('l6612345');
  });
});

describe('buildBody', () => {
  const lines = [{ start: 0, end: 8, json: Buffer.from('{"a":1}'), parsed: true }, { start: 8, end: 16, json: Buffer.from('{"b":2}'), parsed: true }];
  it('JSON array and NDJSON', () => {
    expect(buildBody(lines, 'json').toString()).toBe('[{"a":1},{"b":2}]');
    expect(buildBody(lines, 'ndjson').toString()).toBe('{"a":1}\n{"b":2}\n');
    expect(buildBody([], 'json').toString()).toBe('[]');
  });
});
