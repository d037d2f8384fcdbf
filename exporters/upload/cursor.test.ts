import { describe, expect, it } from 'vitest';
import { appendFileSync, readFileSync, renameSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../../test/helpers.js';
import { storeLines } from '../../test/upload/endpoint.js';
import { CURSOR_FILE, CursorStore } from './cursor.js';
import { scanStore, type StoreFile } from './storeFiles.js';

async function only(dir: string): Promise<StoreFile> {
  const files = await scanStore(dir);
  expect(files).toHaveLength(1);
  return files[0]!;
}

describe('CursorStore', () => {
  it('persists atomically and resumes in a new process life', async () => {
    const dir = tmpDir();
    writeFileSync(join(dir, 'a.jsonl'), storeLines('a', 0, 10, 'x'));
    const f = await only(dir);
    const c = new CursorStore(dir);
    c.set(f, 200);
    await c.save();
    expect(JSON.parse(readFileSync(join(dir, CURSOR_FILE), 'utf8')).version).toBe(1);
    const again = new CursorStore(dir);
    again.load();
    expect(again.offsetOf(f)).toBe(200);
  });

  it('follows a renamed file (rotation) and forgets a replaced or truncated one', async () => {
    const dir = tmpDir();
    const path = join(dir, 'a.jsonl');
    writeFileSync(path, storeLines('a', 0, 10, 'x'));
    const c = new CursorStore(dir);
    c.set(await only(dir), 300);
    renameSync(path, `${path}.1700000000000`);
    const rotated = await only(dir);
    expect(rotated.kind).toBe('segment');
    expect(c.offsetOf(rotated)).toBe(300);

    // replaced: a new file under the old name with other content
    unlinkSync(`${path}.1700000000000`);
    writeFileSync(path, storeLines('a', 100, 10, 'y'));
    const replaced = await only(dir);
    expect(c.offsetOf(replaced)).toBe(0);

    // truncated below the cursor
    c.set(replaced, 400);
    truncateSync(path, 100);
    const truncated = await only(dir);
    expect(c.offsetOf(truncated)).toBe(0);
    expect(c.isStale(truncated)).toBe(true);
  });

  it('a damaged cursor file means starting over, not failing', async () => {
    const dir = tmpDir();
    writeFileSync(join(dir, 'a.jsonl'), storeLines('a', 0, 2, 'x'));
    writeFileSync(join(dir, CURSOR_FILE), '{"version":1,"files":');
    const c = new CursorStore(dir);
    c.load();
    expect(c.offsetOf(await only(dir))).toBe(0);
  });

  it('a file that only grows keeps its cursor', async () => {
    const dir = tmpDir();
    const path = join(dir, 'a.jsonl');
    writeFileSync(path, storeLines('a', 0, 2, 'x'));
    const c = new CursorStore(dir);
    const f = await only(dir);
    c.set(f, f.size);
    appendFileSync(path, storeLines('a', 2, 2, 'x'));
    expect(c.offsetOf(await only(dir))).toBe(f.size);
  });
});
