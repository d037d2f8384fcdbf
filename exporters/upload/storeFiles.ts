import { constants, type Stats } from 'node:fs';
import { lstat, open, readdir, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { parseStoreName } from '../../core/storeFiles.js';

export { parseStoreName, storeBytesSync } from '../../core/storeFiles.js';

/** Read-only, and a symlink planted in the data dir is never followed (it could point at any file of the user). */
export const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);

/**
 * One file the uploader sends from:
 * - `active`: `{scenario}.jsonl`, appended to by the pipeline's JsonlFileWriter;
 * - `segment`: `{scenario}.jsonl.{N}`, an active file rotated by compaction (N = rotation time, ms);
 * - `extra`: a file named by the bundle manifest (written by someone else; never rotated or compacted).
 */
export interface StoreFile {
  readonly path: string;
  readonly name: string;
  readonly scenario: string | undefined;
  readonly kind: 'active' | 'segment' | 'extra';
  /** Rotation time of a segment (from its name). */
  readonly rotatedAt: number | undefined;
  readonly size: number;
  readonly mtimeMs: number;
  /** Identity that survives a rename: `dev:ino` (`path:` + path where the platform has no inode numbers). */
  readonly key: string;
  /** Hash of the first line (or first 256 bytes): tells a file apart from a new one that reused the inode. */
  readonly head: string | undefined;
}

const HEAD_BYTES = 256;

/** Store files are opened without following symlinks; an extra file is the user's own path and may be a link. */
export function openFlags(kind: StoreFile['kind']): number {
  return kind === 'extra' ? constants.O_RDONLY : READ_FLAGS;
}

function keyOf(st: Stats, path: string): string {
  return st.ino > 0 ? `${st.dev}:${st.ino}` : `path:${path}`;
}

/** Hash of the file's first line (up to 256 bytes); undefined while that prefix is still being written. */
export async function readHead(path: string, size: number, flags: number = READ_FLAGS): Promise<string | undefined> {
  if (size === 0) return undefined;
  const fh = await open(path, flags);
  try {
    const buf = Buffer.alloc(Math.min(size, HEAD_BYTES));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const nl = buf.subarray(0, bytesRead).indexOf(0x0a);
    let end: number;
    if (nl >= 0) end = nl + 1;
    else if (bytesRead >= HEAD_BYTES) end = bytesRead;
    else return undefined;
    return createHash('sha1').update(buf.subarray(0, end)).digest('hex').slice(0, 16);
  } finally {
    await fh.close();
  }
}

async function describe(path: string, kind: StoreFile['kind'], st: Stats): Promise<StoreFile | undefined> {
  const name = basename(path);
  const parsed = parseStoreName(name);
  let head: string | undefined;
  try {
    head = await readHead(path, st.size, openFlags(kind));
  } catch {
    return undefined; // vanished or unreadable between readdir and open: next scan
  }
  return {
    path,
    name,
    scenario: parsed?.scenario,
    kind,
    rotatedAt: kind === 'segment' ? parsed?.rotatedAt : undefined,
    size: st.size,
    mtimeMs: st.mtimeMs,
    key: keyOf(st, path),
    head,
  };
}

/**
 * List the store files of `dir` (only regular files named like a store file; symlinks and subfolders such as
 * `quarantine/` are ignored) plus the extra files, in sending order: per scenario its segments oldest first, then
 * its active file; extra files last. A file that lives in `dir` and is also named as extra is listed once.
 */
export async function scanStore(dir: string, extraFiles: readonly string[] = []): Promise<StoreFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    names = [];
  }
  const out: StoreFile[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    const parsed = parseStoreName(name);
    if (!parsed) continue;
    const path = join(dir, name);
    let st: Stats;
    try {
      st = await lstat(path);
    } catch {
      continue;
    }
    if (!st.isFile()) continue;
    const f = await describe(path, parsed.rotatedAt === undefined ? 'active' : 'segment', st);
    if (f && !seen.has(f.key)) {
      seen.add(f.key);
      out.push(f);
    }
  }
  out.sort((a, b) => {
    const s = (a.scenario ?? '').localeCompare(b.scenario ?? '');
    if (s !== 0) return s;
    // segments (older data) before the active file; segments by rotation time
    return (a.rotatedAt ?? Number.MAX_SAFE_INTEGER) - (b.rotatedAt ?? Number.MAX_SAFE_INTEGER);
  });
  for (const path of extraFiles) {
    let st: Stats;
    try {
      st = await stat(path);
    } catch {
      continue; // not written yet
    }
    if (!st.isFile()) continue;
    const f = await describe(path, 'extra', st);
    if (f && !seen.has(f.key)) {
      seen.add(f.key);
      out.push(f);
    }
  }
  return out;
}
