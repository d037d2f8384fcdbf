import { describe, expect, it } from 'vitest';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../../test/helpers.js';
import { forEachJsonlLine, parseStoredLine, readJsonl } from './readJsonl.js';

describe('readJsonl', () => {
  it('streams lines across chunk borders, reports invalid and oversized lines by number, keeps a valid unterminated tail', async () => {
    const dir = tmpDir('read-');
    const file = join(dir, 'a.jsonl');
    const long = JSON.stringify({ event: 'long', details: { s: 'y'.repeat(5000) } });
    writeFileSync(file, ['{"event":"one"}', 'garbage', long, '{"event":"big","details":{"s":"' + 'z'.repeat(3000) + '"}}', '[1]', '{"event":"two","details":[1]}', '{"event":"tail"}'].join('\n'));
    const bad: [number, string][] = [];
    const seen: [number, string][] = [];
    for await (const { line, lineNumber } of readJsonl(file, { chunkBytes: 1024, maxLineBytes: 6000, onInvalid: (n, t) => bad.push([n, t.slice(0, 10)]) })) seen.push([lineNumber, line.event]);
    expect(seen).toEqual([
      [1, 'one'],
      [3, 'long'],
      [4, 'big'],
      [7, 'tail'],
    ]);
    expect(bad.map(([n]) => n)).toEqual([2, 5, 6]);
    // A smaller line limit: the 5 KB line is skipped without being held (reported as oversized).
    const ok: number[] = [];
    const skipped: [number, string][] = [];
    await forEachJsonlLine(file, (_l, n) => void ok.push(n), { chunkBytes: 1024, maxLineBytes: 4000, onInvalid: (n, t) => skipped.push([n, t]) });
    expect(ok).toEqual([1, 4, 7]);
    expect(skipped.map(([n]) => n)).toEqual([2, 3, 5, 6]);
    expect(skipped[1]![1]).toMatch(/longer than 4000 bytes/);
  });

  it('parses lines with and without installation_id, keeping it top-level', () => {
    const withId = '{"ts":"2025-01-15T12:00:00.000Z","scenario":"s","installation_id":"inst-1","event":"e","id":"i"}';
    expect(parseStoredLine(withId)).toEqual({ ts: '2025-01-15T12:00:00.000Z', scenario: 's', installation_id: 'inst-1', event: 'e', id: 'i' });
    expect(JSON.stringify(parseStoredLine(withId))).toBe(withId);
    expect(parseStoredLine('{"ts":"2025-01-15T12:00:00.000Z","scenario":"s","event":"e","id":"i"}')).not.toHaveProperty('installation_id');
  });

  it('stops early when asked and does not follow symlinks', async () => {
    const dir = tmpDir('read2-');
    const file = join(dir, 'a.jsonl');
    writeFileSync(file, '{"event":"1"}\n{"event":"2"}\n{"event":"3"}\n');
    let n = 0;
    await forEachJsonlLine(file, () => ++n < 2);
    expect(n).toBe(2);
    symlinkSync(file, join(dir, 'link.jsonl'));
    await expect(forEachJsonlLine(join(dir, 'link.jsonl'), () => undefined)).rejects.toMatchObject({ code: 'ELOOP' });
  });
});
