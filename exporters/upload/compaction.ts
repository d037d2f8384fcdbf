import { constants, existsSync } from 'node:fs';
import { lstat, open, rename, unlink } from 'node:fs/promises';
import type { CursorStore } from './cursor.js';
import { READ_FLAGS, readHead, type StoreFile } from './storeFiles.js';

/**
 * The store's size budget, shared by the uploader (which measures the store on every scan) and the writers in this
 * process (which add what they append). When unsent data alone fills the cap, the newest events are the ones not
 * stored: they are counted and said in the diag log, never silently lost, and nothing already stored is removed.
 */
export class StoreBudget {
  readonly maxBytes: number;
  /** Bytes of the store at the last scan plus what this process appended since. */
  bytes = 0;
  /** Events not stored because the store was full. */
  dropped = 0;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** Whether `size` more bytes fit; if they do, they are counted in. */
  admit(size: number): boolean {
    if (this.bytes + size > this.maxBytes) return false;
    this.bytes += size;
    return true;
  }
}

export interface CompactionInput {
  readonly files: readonly StoreFile[];
  readonly cursors: CursorStore;
  readonly maxBytes: number;
  /** Rotate an active file once this much of it is acknowledged. */
  readonly rotateBytes: number;
  /** A segment is touched only when rotated and last written at least this long ago. */
  readonly graceMs: number;
  readonly now: number;
  /** Close this process's writers so their next append opens the new active file. */
  readonly reopenWriters: () => void;
}

export interface CompactionResult {
  rotated: number;
  deleted: number;
  rewritten: number;
  /** Store bytes after compaction (active files and segments). */
  bytes: number;
}

/**
 * Compaction of sent data, oldest first. Design (the pipeline's JsonlFileWriter keeps an O_APPEND descriptor open, so
 * a file must never be rewritten or deleted while a writer may still append to it):
 *
 * 1. An active file `{scenario}.jsonl` is never rewritten or truncated. Once `rotateBytes` of it are acknowledged it
 *    is renamed to a segment `{scenario}.jsonl.{time}`; the cursor follows it (cursors are keyed by inode), and this
 *    process's writers are closed at once, so their next append creates a fresh `{scenario}.jsonl`. Lines a writer
 *    of another process appends to the renamed file are not lost: segments are read like any file until fully sent.
 * 2. A segment that is fully acknowledged and was neither rotated nor written within `graceMs` is deleted.
 * 3. While the store is still over the cap, sealed segments (quiet for `graceMs`) with an acknowledged head and an
 *    unsent tail are rewritten to the tail only (temp file + rename; the cursor of the new file starts at 0).
 * Unsent data is never removed here.
 */
export async function compactStore(input: CompactionInput): Promise<CompactionResult> {
  const { files, cursors, now } = input;
  const result: CompactionResult = { rotated: 0, deleted: 0, rewritten: 0, bytes: 0 };
  const store = files.filter((f) => f.kind !== 'extra');
  let total = store.reduce((n, f) => n + f.size, 0);
  const sealed = (f: StoreFile): boolean => now - Math.max(f.rotatedAt ?? 0, f.mtimeMs) >= input.graceMs;

  for (const f of store) {
    if (f.kind !== 'segment' || !sealed(f)) continue;
    if (cursors.offsetOf(f) < f.size) continue;
    try {
      // last look: a writer of another process appended after the scan → keep it, send it next cycle
      const st = await lstat(f.path);
      if (st.size !== f.size) continue;
      await unlink(f.path);
      cursors.delete(f.key);
      total -= f.size;
      result.deleted++;
    } catch {
      // gone already, or not ours to delete
    }
  }

  let rotated = false;
  for (const f of store) {
    if (f.kind !== 'active' || cursors.offsetOf(f) < input.rotateBytes) continue;
    let at = now;
    while (existsSync(`${f.path}.${at}`)) at++;
    try {
      await rename(f.path, `${f.path}.${at}`);
      rotated = true;
      result.rotated++;
    } catch {
      // vanished or not permitted: next cycle
    }
  }
  // Appends of this process that ran between a rename and here went to the renamed file, which is read like any
  // other until fully sent; from here on every append opens a new active file.
  if (rotated) input.reopenWriters();

  for (const f of store) {
    if (total <= input.maxBytes) break;
    if (f.kind !== 'segment' || !sealed(f)) continue;
    const offset = cursors.offsetOf(f);
    if (offset === 0 || offset >= f.size) continue;
    try {
      const freed = await rewriteTail(f, offset, cursors);
      if (freed > 0) {
        total -= freed;
        result.rewritten++;
      }
    } catch {
      // leave it: the data stays until it is sent
    }
  }
  result.bytes = Math.max(0, total);
  return result;
}

/** Replace a sealed segment by its unsent tail. Returns the bytes freed. */
async function rewriteTail(f: StoreFile, offset: number, cursors: CursorStore): Promise<number> {
  const tmp = `${f.path}.compact.tmp`;
  const src = await open(f.path, READ_FLAGS);
  let size: number;
  try {
    const st = await src.stat();
    if (st.size !== f.size) return 0; // written since the scan: not sealed after all
    size = st.size;
    const dst = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (constants.O_NOFOLLOW ?? 0), 0o600);
    try {
      const buf = Buffer.allocUnsafe(1024 * 1024);
      let pos = offset;
      while (pos < size) {
        const { bytesRead } = await src.read(buf, 0, Math.min(buf.length, size - pos), pos);
        if (bytesRead === 0) break;
        await dst.write(buf, 0, bytesRead);
        pos += bytesRead;
      }
      await dst.sync();
    } finally {
      await dst.close();
    }
  } finally {
    await src.close();
  }
  // If we die between rename and the cursor save, the new file's inode matches no cursor and is read from 0:
  // exactly its content, all unsent. Nothing lost, nothing doubled.
  await rename(tmp, f.path);
  const st = await lstat(f.path);
  const key = st.ino > 0 ? `${st.dev}:${st.ino}` : `path:${f.path}`;
  cursors.delete(f.key);
  const head = await readHead(f.path, st.size);
  cursors.set({ ...f, key, size: st.size, head }, 0);
  return offset;
}
