import { readStateFileSync, writeStateFile } from '../../core/stateFile.js';
import { join } from 'node:path';
import { diag } from '../../core/diag.js';
import type { StoreFile } from './storeFiles.js';

export const CURSOR_FILE = 'upload-cursors.json';

interface CursorEntry {
  /** Last known name (for people reading the file; identity is the key). */
  name: string;
  /** Bytes of the file the endpoint acknowledged (or that were quarantined): always at a line boundary. */
  offset: number;
  /** Head hash of the file when the offset was recorded. */
  head: string | undefined;
}

interface CursorFileV1 {
  version: 1;
  files: Record<string, CursorEntry>;
}

/**
 * Persisted upload cursors, one per store file, keyed by file identity (`dev:ino`) so a cursor follows its file
 * through a rename (rotation into a segment). A cursor applies only when the head hash still matches and the file
 * is not shorter than the offset; otherwise the file was replaced or truncated and is read from its start (resending
 * is safe: the endpoint de-duplicates by event id; skipping would lose data).
 *
 * Written atomically (core/stateFile: random exclusive temp file, fsync, rename) after every acknowledged batch, so a
 * process killed at any moment resumes from the last acknowledgement. Only a power loss can roll a cursor back (the
 * dir is not fsynced), which resends (and the endpoint drops the duplicates).
 */
export class CursorStore {
  readonly path: string;
  private readonly dir: string;
  private entries = new Map<string, CursorEntry>();
  private saving: Promise<void> = Promise.resolve();
  private dirty = false;
  private queued = false;

  constructor(dir: string) {
    this.dir = dir;
    this.path = join(dir, CURSOR_FILE);
  }

  /** Read the persisted cursors (synchronously, once at start). A damaged file means "start over", said in diag. */
  load(): void {
    let raw: string;
    try {
      raw = readStateFileSync(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // first run
      diag.warn(`upload cursors in ${this.path} not read (${(err as Error).message}); resending from the start of each file (the endpoint drops duplicates by id)`);
      return;
    }
    try {
      const parsed = JSON.parse(raw) as Partial<CursorFileV1>;
      if (parsed.version !== 1 || typeof parsed.files !== 'object' || parsed.files === null) throw new Error('unknown format');
      for (const [key, e] of Object.entries(parsed.files)) {
        if (e && typeof e.offset === 'number' && Number.isSafeInteger(e.offset) && e.offset >= 0) {
          this.entries.set(key, { name: String(e.name), offset: e.offset, head: typeof e.head === 'string' ? e.head : undefined });
        }
      }
    } catch (err) {
      diag.warn(`upload cursors in ${this.path} are unreadable (${(err as Error).message}); resending from the start of each file (the endpoint drops duplicates by id)`);
    }
  }

  /** Where sending resumes in this file. */
  offsetOf(file: StoreFile): number {
    const e = this.entries.get(file.key);
    if (e === undefined) return 0;
    if (e.offset > file.size || (e.offset > 0 && e.head !== file.head)) return 0;
    return e.offset;
  }

  /** Whether the stored cursor for this key exists but no longer applies (file replaced or truncated). */
  isStale(file: StoreFile): boolean {
    const e = this.entries.get(file.key);
    return e !== undefined && e.offset > 0 && this.offsetOf(file) === 0;
  }

  set(file: StoreFile, offset: number): void {
    const e = this.entries.get(file.key);
    if (e !== undefined && e.offset === offset && e.head === file.head && e.name === file.name) return;
    this.entries.set(file.key, { name: file.name, offset, head: file.head });
    this.dirty = true;
  }

  /** The file is gone for good (deleted by compaction): its identity may be reused. */
  delete(key: string): void {
    if (this.entries.delete(key)) this.dirty = true;
  }

  /** Drop cursors of files that no longer exist. */
  prune(liveKeys: ReadonlySet<string>): void {
    for (const key of [...this.entries.keys()]) if (!liveKeys.has(key)) this.delete(key);
  }

  /**
   * Persist (temp + rename, 0600) in the background. Writes are serialised and coalesced: while one is in flight at
   * most one more is queued, and it writes the state as it is when it starts. So the uploader need not wait for the
   * disk before its next request; the persisted cursor lags the acknowledged one by at most two batches, which a
   * restart after a kill resends (and the endpoint drops by id). The returned promise never rejects.
   */
  save(): Promise<void> {
    if (!this.dirty || this.queued) return this.saving;
    this.queued = true;
    this.saving = this.saving.then(() => {
      this.queued = false;
      if (!this.dirty) return undefined;
      this.dirty = false;
      return this.write({ version: 1, files: Object.fromEntries(this.entries) });
    });
    return this.saving;
  }

  /** Wait until everything set so far is on disk. */
  async flush(): Promise<void> {
    await this.save();
    if (this.dirty) await this.save();
  }

  private async write(snapshot: CursorFileV1): Promise<void> {
    try {
      // core/stateFile: random exclusive temp name (never a planted link), fsync, rename.
      await writeStateFile(this.dir, CURSOR_FILE, JSON.stringify(snapshot) + '\n');
    } catch (err) {
      this.dirty = true;
      diag.error(`could not persist upload cursors to ${this.path}: ${(err as Error).message} (a restart would resend; the endpoint drops duplicates by id)`);
    }
  }
}
