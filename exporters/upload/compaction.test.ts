import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsonlFileWriter } from '../jsonl/writer.js';
import { tmpDir, ROOT } from '../../test/helpers.js';
import { startTestEndpoint, storeLines, waitFor, type TestEndpoint } from '../../test/upload/endpoint.js';
import { startProcess } from '../../test/upload/processes.js';
import { duplicates, range, storedIds } from '../../test/upload/collector.js';
import { compactStore } from './compaction.js';
import { CursorStore } from './cursor.js';
import { scanStore } from './storeFiles.js';
import { Uploader } from './Uploader.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function endpoint(...args: Parameters<typeof startTestEndpoint>): Promise<TestEndpoint> {
  const ep = await startTestEndpoint(...args);
  cleanups.push(() => ep.close());
  return ep;
}

const KiB = 1024;
const storeNames = (dir: string): string[] => readdirSync(dir).filter((n) => /\.jsonl(\.\d+)?$/.test(n)).sort();

describe('compactStore', () => {
  it('rotates an acknowledged active file; a writer of this process reopens; lines in between are not lost', async () => {
    const dir = tmpDir();
    const writer = new JsonlFileWriter(dir);
    writer.append('s', storeLines('s', 0, 100, 'a'));
    const cursors = new CursorStore(dir);
    const [f] = await scanStore(dir);
    cursors.set(f!, f!.size);
    let reopened = 0;
    const r = await compactStore({ files: [f!], cursors, maxBytes: 1024 * KiB, rotateBytes: 1, graceMs: 60_000, now: Date.now(), reopenWriters: () => (reopened++, writer.close()) });
    expect(r.rotated).toBe(1);
    expect(reopened).toBe(1);
    writer.append('s', storeLines('s', 100, 5, 'a'));
    const files = await scanStore(dir);
    expect(files.map((x) => x.kind)).toEqual(['segment', 'active']);
    expect(cursors.offsetOf(files[0]!)).toBe(files[0]!.size); // the cursor followed the rename
    expect(cursors.offsetOf(files[1]!)).toBe(0);
    expect(storedIds(dir).sort()).toEqual(range('a', 105).sort());
  });

  it('deletes a fully sent segment once quiet, keeps one with unsent data, and never touches unsent bytes', async () => {
    const dir = tmpDir();
    writeFileSync(join(dir, 's.jsonl.1000'), storeLines('s', 0, 10, 'old'));
    writeFileSync(join(dir, 's.jsonl.2000'), storeLines('s', 10, 10, 'old'));
    const cursors = new CursorStore(dir);
    const files = await scanStore(dir);
    cursors.set(files[0]!, files[0]!.size); // all sent
    cursors.set(files[1]!, 5); // hardly anything sent
    const r = await compactStore({ files, cursors, maxBytes: 1024 * KiB, rotateBytes: 1024 * KiB, graceMs: 0, now: Date.now(), reopenWriters: () => undefined });
    expect(r.deleted).toBe(1);
    expect(storeNames(dir)).toEqual(['s.jsonl.2000']);
  });

  it('over the cap, rewrites a sealed segment to its unsent tail (oldest sent data goes first)', async () => {
    const dir = tmpDir();
    const text = storeLines('s', 0, 100, 'r', 50);
    writeFileSync(join(dir, 's.jsonl.1000'), text);
    const cursors = new CursorStore(dir);
    const [seg] = await scanStore(dir);
    const sentBytes = Buffer.byteLength(storeLines('s', 0, 60, 'r', 50));
    cursors.set(seg!, sentBytes);
    const r = await compactStore({ files: [seg!], cursors, maxBytes: 1024, rotateBytes: 1024 * KiB, graceMs: 0, now: Date.now(), reopenWriters: () => undefined });
    expect(r.rewritten).toBe(1);
    expect(readFileSync(join(dir, 's.jsonl.1000'), 'utf8')).toBe(storeLines('s', 60, 40, 'r', 50));
    const [after] = await scanStore(dir);
    expect(cursors.offsetOf(after!)).toBe(0);
  });
});

describe('store cap and compaction with the uploader', () => {
  it('keeps the store bounded while a writer of this process appends and the endpoint takes everything', async () => {
    const ep = await endpoint();
    const dir = tmpDir();
    const writer = new JsonlFileWriter(dir);
    const u = new Uploader({ dir, url: ep.url, gzip: false, intervalMs: 3_600_000, initialDelayMs: 3_600_000, storeMaxBytes: 64 * KiB, segmentGraceMs: 0, writers: [writer] }).start();
    cleanups.push(() => u.shutdown());
    let maxStore = 0;
    for (let round = 0; round < 20; round++) {
      writer.append('s', storeLines('s', round * 100, 100, 'w', 100)); // ~18 KiB per round, 360 KiB in all
      await u.runOnce();
      maxStore = Math.max(maxStore, storeNames(dir).reduce((n, name) => n + readFileSync(join(dir, name)).length, 0));
    }
    await u.runOnce();
    const ids = ep.acceptedIds();
    expect(duplicates(ids)).toEqual([]);
    expect(ids.sort()).toEqual(range('w', 2000).sort());
    expect(maxStore).toBeLessThan(64 * KiB + 40 * KiB); // the cap plus at most a round of new writes
    expect(u.status().dropped_events).toBe(0);
  });

  it('another process appending to the same file through rotations loses nothing', async () => {
    const ep = await endpoint();
    const dir = tmpDir();
    const u = new Uploader({ dir, url: ep.url, gzip: false, intervalMs: 3_600_000, initialDelayMs: 3_600_000, storeMaxBytes: 64 * KiB, segmentGraceMs: 200 }).start();
    cleanups.push(() => u.shutdown());
    // A foreign writer: its own JsonlFileWriter (O_APPEND fd kept open), never told about rotations.
    const script = join(tmpDir(), 'writer.mts');
    writeFileSync(
      script,
      `import { JsonlFileWriter } from ${JSON.stringify(join(ROOT, 'exporters/jsonl/writer.js'))};
       import { storeLines } from ${JSON.stringify(join(ROOT, 'test/upload/endpoint.js'))};
       const w = new JsonlFileWriter(${JSON.stringify(dir)});
       for (let i = 0; i < 1500; i += 10) { w.append('s', storeLines('s', i, 10, 'f', 150)); await new Promise((r) => setTimeout(r, 2)); }
       process.stdout.write('done\\n');`,
    );
    const writer = startProcess(script);
    cleanups.push(() => writer.kill());
    let done = false;
    void writer.exited.then(() => (done = true));
    let sawSegment = false;
    for (let i = 0; i < 2000 && !done; i++) {
      await u.runOnce();
      sawSegment ||= storeNames(dir).some((n) => /\.jsonl\.\d+$/.test(n));
    }
    expect(sawSegment).toBe(true); // the file was rotated under the writer's open descriptor
    expect({ code: (await writer.exited).code, stderr: writer.stderr }).toEqual({ code: 0, stderr: '' });
    await new Promise((r) => setTimeout(r, 250)); // past the grace: segments may now be removed
    expect(await waitFor(async () => {
      await u.runOnce();
      return ep.acceptedIds().length >= 1500;
    })).toBe(true);
    const ids = ep.acceptedIds();
    expect(duplicates(ids)).toEqual([]);
    expect(ids.sort()).toEqual(range('f', 1500).sort());
  });

  it('when unsent data fills the cap, the newest events are dropped and counted; nothing stored is removed', async () => {
    const { LoggerProvider } = await import('@opentelemetry/sdk-logs');
    const { productTelemetry } = await import('../../pipeline/productTelemetry.js');
    const { createTelemetryInstance } = await import('../../receivers/api/TelemetryInstance.js');
    const dir = tmpDir();
    // Nothing listens here: every upload fails, nothing is ever acknowledged.
    const pt = productTelemetry({ dir, scenario: 'cap', enabled: true, env: {}, upload: { url: 'http://127.0.0.1:9/up', storeMaxBytes: 64 * KiB, intervalMs: 3_600_000 } });
    const provider = new LoggerProvider({ processors: pt.logRecordProcessors });
    cleanups.push(() => provider.shutdown());
    const t = createTelemetryInstance({ loggerProvider: provider, runtime: { consent: pt.consent, config: pt.config } });
    for (let i = 0; i < 1000; i++) await t.event({ event: 'fill', id: `cap-${i}`, pad: 'x'.repeat(200) });
    pt.flushSync();
    const ids = storedIds(dir).filter((id) => id.startsWith('cap-'));
    const bytes = storeNames(dir).reduce((n, name) => n + readFileSync(join(dir, name)).length, 0);
    expect(bytes).toBeLessThanOrEqual(64 * KiB);
    expect(ids).toEqual(range('cap', ids.length)); // the oldest are kept, in order
    expect(ids.length).toBeLessThan(1000);
    expect(pt.status().upload!.dropped_events).toBe(1000 - ids.length);

    // The next start finds the store full before its first upload run: new events are dropped from the first one.
    await provider.shutdown();
    const pt2 = productTelemetry({ dir, scenario: 'cap', enabled: true, env: {}, upload: { url: 'http://127.0.0.1:9/up', storeMaxBytes: 64 * KiB, intervalMs: 3_600_000 } });
    const provider2 = new LoggerProvider({ processors: pt2.logRecordProcessors });
    cleanups.push(() => provider2.shutdown());
    const t2 = createTelemetryInstance({ loggerProvider: provider2, runtime: { consent: pt2.consent, config: pt2.config } });
    for (let i = 0; i < 10; i++) await t2.event({ event: 'fill', id: `late-${i}`, pad: 'x'.repeat(200) });
    pt2.flushSync();
    expect(storedIds(dir).filter((id) => id.startsWith('late-'))).toEqual([]);
    expect(pt2.status().upload!.dropped_events).toBe(1000 - ids.length + 10); // cumulative over restarts
  });
});
