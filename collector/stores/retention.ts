import { diag } from '../../core/diag.js';
import { lstatSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parseStoreName } from '../../core/storeFiles.js';
import { millisFromIso } from '../isoTime.js';
import { forEachJsonlLine } from './readJsonl.js';
import { listScenarioFiles } from './scan.js';
import type { LineSink, RebuildableSink } from './books.js';

const DAY_MS = 86_400_000;
/** How often retention runs (and once right after the collector starts). */
const RETENTION_INTERVAL_MS = 3_600_000;

export interface RetentionResult {
  /** Files deleted (paths). */
  readonly deleted: readonly string[];
  readonly bytes: number;
}

interface Known {
  size: number;
  mtimeMs: number;
  /** Newest event time of the file; +Infinity when a line has no readable time (age unknown: kept); -Infinity when empty. */
  newest: number;
}

/**
 * Retention by age for the JSONL store: whole files only — rotated segments `{scenario}.jsonl.{N}` and active files
 * `{scenario}.jsonl` — whose newest event (`ts`) is older than the cut-off are deleted; a file with one newer event,
 * or a line without a readable time, is kept whole. Files are read to learn their newest event only when their size
 * or mtime changed since the last sweep. After a deletion the summaries are counted afresh from the files kept
 * (the books' rebuild, books.ts: summaries and insights rollups; events stored meanwhile are not lost), so they describe exactly what is on disk; a scenario
 * whose files are all gone leaves the summaries. The de-duplication window keeps the ids it has (a re-sent expired
 * event is still acknowledged as a duplicate while its id is remembered).
 */
/** What retention needs of the store's writer. */
export interface RetentionFiles {
  /** Let the writes in flight finish and start none until the returned release is called. */
  hold(): Promise<() => void>;
  /** Close the store's open descriptors (a deleted active file is re-created by the next write). */
  closeFiles(): void;
}

export class JsonlRetention {
  private readonly known = new Map<string, Known>();
  private running: Promise<RetentionResult> | undefined;

  constructor(
    private readonly dir: string,
    private readonly book: RebuildableSink,
    private readonly files: RetentionFiles,
  ) {}

  /** One sweep (a sweep already running is joined). */
  sweep(cutoffMs: number): Promise<RetentionResult> {
    this.running ??= this.run(cutoffMs).finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(cutoffMs: number): Promise<RetentionResult> {
    const files = await listScenarioFiles(this.dir);
    const present = new Set(files.map((f) => f.path));
    for (const path of this.known.keys()) if (!present.has(path)) this.known.delete(path);
    const expired: { path: string; size: number }[] = [];
    for (const f of files) {
      let k = this.known.get(f.path);
      if (k === undefined || k.size !== f.size || k.mtimeMs !== f.mtimeMs) {
        const newest = await newestEvent(f.path, f.size);
        if (newest === undefined) continue; // vanished
        k = { size: f.size, mtimeMs: f.mtimeMs, newest };
        this.known.set(f.path, k);
      }
      if (k.newest < cutoffMs && Number.isFinite(k.newest)) expired.push({ path: f.path, size: k.size });
    }
    if (expired.length === 0) return { deleted: [], bytes: 0 };
    // From here to the rebuild's snapshot, synchronous and with no write in flight (held): no line lands in a file
    // between its size check and its deletion, or between the snapshot of sizes and the count of what it holds.
    const release = await this.files.hold();
    const deleted: string[] = [];
    let bytes = 0;
    let closed = false;
    let rebuilt: Promise<void> | undefined;
    try {
      for (const f of expired) {
        try {
          const st = lstatSync(f.path);
          if (!st.isFile() || st.size !== f.size) continue; // written to since it was read: look again next time
          if (!closed && parseStoreName(f.path.slice(this.dir.length + 1))?.rotatedAt === undefined) {
            this.files.closeFiles();
            closed = true;
          }
          unlinkSync(f.path);
          this.known.delete(f.path);
          deleted.push(f.path);
          bytes += f.size;
        } catch {
          // vanished, or cannot be deleted: next sweep
        }
      }
      // rebuild calls countFiles at once, which takes its snapshot of sizes before its first await.
      if (deleted.length > 0) rebuilt = this.book.rebuild((fresh) => countFiles(this.dir, fresh));
    } finally {
      release();
    }
    if (rebuilt !== undefined) {
      await rebuilt;
      diag.info(`retention deleted ${deleted.length} file(s) (${bytes} bytes) whose newest event is before ${new Date(cutoffMs).toISOString()} from ${this.dir}; summaries rebuilt`);
    }
    return { deleted, bytes };
  }
}

/** Count the store files of `dir` into `book`, each up to the size it has now (taken synchronously, before any await). */
function countFiles(dir: string, book: LineSink): Promise<void> {
  const snapshot: { scenario: string; path: string; size: number; mtimeMs: number }[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    // gone: nothing to count
  }
  for (const name of names) {
    const parsed = parseStoreName(name);
    if (parsed === undefined) continue;
    const path = join(dir, name);
    try {
      const st = lstatSync(path);
      if (st.isFile()) snapshot.push({ scenario: parsed.scenario, path, size: st.size, mtimeMs: st.mtimeMs });
    } catch {
      // vanished
    }
  }
  snapshot.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.scenario < b.scenario ? -1 : 1));
  return (async () => {
    for (const f of snapshot) {
      book.touch(f.scenario);
      try {
        await forEachJsonlLine(
          f.path,
          (line) => {
            const ms = typeof line.ts === 'string' ? (millisFromIso(line.ts) ?? Number.NaN) : Number.NaN;
            book.addLine(f.scenario, line, ms);
          },
          { maxBytes: f.size },
        );
      } catch {
        // vanished since the snapshot
      }
    }
  })();
}

/** The newest event time of a file (see Known.newest); undefined when it cannot be read. */
async function newestEvent(path: string, size: number): Promise<number | undefined> {
  let newest = Number.NEGATIVE_INFINITY;
  try {
    await forEachJsonlLine(
      path,
      (line) => {
        const ms = typeof line.ts === 'string' ? millisFromIso(line.ts) : undefined;
        if (ms === undefined) {
          newest = Number.POSITIVE_INFINITY;
          return false;
        }
        if (ms > newest) newest = ms;
      },
      { maxBytes: size, onInvalid: () => undefined },
    );
  } catch {
    return undefined;
  }
  return newest;
}

/**
 * Run `sweep` now and every RETENTION_INTERVAL_MS on an unref'd timer (never on a request's path). `stop` clears the
 * timer and waits for a sweep in progress.
 */
export function scheduleRetention(days: number, sweep: (cutoffMs: number) => Promise<RetentionResult>, intervalMs = RETENTION_INTERVAL_MS): { stop(): Promise<void> } {
  let current: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const run = (): void => {
    if (stopped) return;
    current = sweep(Date.now() - days * DAY_MS).catch((err: unknown) => diag.error(`retention failed: ${(err as Error).message}`));
  };
  const first = setTimeout(run, 0);
  const timer = setInterval(run, intervalMs);
  first.unref();
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
      await current;
    },
  };
}
