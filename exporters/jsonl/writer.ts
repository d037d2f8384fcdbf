import { closeSync, constants, fstatSync, fsyncSync, mkdirSync, openSync, readSync, write, writeSync, writev } from 'node:fs';
import { join } from 'node:path';
import { isSafeScenario } from '../../core/scenario.js';
import { activeFileName } from '../../core/storeFiles.js';
import { ScenarioNameError, StoreError } from '../../core/errors.js';

// O_NOFOLLOW: a symlink planted at {dir}/{scenario}.jsonl must not redirect writes outside the data dir.
// O_NONBLOCK: a FIFO planted there fails to open (ENXIO) instead of blocking the process; regular files ignore it.
const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** Default cap on open store files (see `JsonlFileWriterOptions.maxOpenFiles`). */
export const DEFAULT_MAX_OPEN_FILES = 128;

export interface JsonlFileWriterOptions {
  /**
   * Most store files held open at once (default 128, under the common 256 and 1024 `ulimit -n` with room for sockets). Beyond it the least-recently-used descriptor is closed and
   * re-opened on demand (with the same O_APPEND|O_NOFOLLOW checks), so a thousand scenarios never need a thousand fds.
   */
  maxOpenFiles?: number;
}

/**
 * The one writer of `{dir}/{scenario}.jsonl` files. Synchronous on purpose: the local file is the durable queue, so
 * a full buffer is written at once (as pino's sync mode does) instead of queueing without bound, and a crash record
 * can be fsync'ed before the process dies. Callers hand it whole lines in one chunk per file; each chunk is one
 * `write(2)` on an O_APPEND descriptor, so lines from concurrent writers never interleave. At most `maxOpenFiles`
 * descriptors are open (least-recently-used closed first).
 */
export class JsonlFileWriter {
  readonly dir: string;
  readonly maxOpenFiles: number;
  /** Open descriptors, least-recently-used first (a Map keeps insertion order; a use re-inserts). */
  private readonly fds = new Map<string, number>();
  /** Descriptors with an asynchronous write in flight, and how many; closing one waits for them (`retired`). */
  private readonly busy = new Map<number, number>();
  /** Descriptors closed (evicted, or `close`) while busy: closed for real when their last write completes. */
  private readonly retired = new Set<number>();
  private lastUsed: string | undefined;
  private dirReady = false;

  constructor(dir: string, options: JsonlFileWriterOptions = {}) {
    this.dir = dir;
    const max = options.maxOpenFiles ?? DEFAULT_MAX_OPEN_FILES;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxOpenFiles must be a positive integer, got ${max}`);
    this.maxOpenFiles = max;
  }

  /** Descriptors open now (at most `maxOpenFiles`). */
  get openFiles(): number {
    return this.fds.size;
  }

  /**
   * Open (or create) each scenario's file and check it is a regular file, without writing a line: a caller about to
   * write several files calls this first, so an unwritable one fails before the first write. Throws StoreError.
   * (With more scenarios than `maxOpenFiles`, the earliest are closed again and re-opened by `append`.)
   */
  prepare(scenarios: Iterable<string>): void {
    for (const scenario of scenarios) this.fdFor(scenario);
  }

  pathOf(scenario: string): string {
    if (!isSafeScenario(scenario)) throw new ScenarioNameError('scenario', scenario);
    return join(this.dir, activeFileName(scenario));
  }

  /** Append complete lines (each ending in '\n') to a scenario's file. Throws StoreError on I/O failure. */
  append(scenario: string, text: string, fsync = false): void {
    const fd = this.fdFor(scenario);
    const buf = Buffer.from(text, 'utf8');
    try {
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      if (fsync) fsyncSync(fd);
    } catch (err) {
      // A descriptor that failed (ENOSPC, EIO) is dropped so the next write re-opens and re-checks the tail.
      this.closeOne(scenario);
      throw new StoreError(`could not append to ${this.pathOf(scenario)}: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * Append complete lines to a scenario's file without blocking the event loop: the chunks in order, by one
   * `writev(2)` in libuv's pool (a short write continues where it stopped), then `done(null)`, or `done(StoreError)`
   * when the descriptor could not be opened or the write failed (the descriptor is then dropped, as `append` does).
   * The descriptor stays open until the write completes even if it is evicted or `close` runs meanwhile, so a write
   * never lands on a reused fd number. The caller keeps one write per file in flight, so lines keep their order.
   */
  write(scenario: string, chunks: readonly Buffer[], done: (err: StoreError | null) => void): void {
    let fd: number;
    try {
      fd = this.fdFor(scenario);
    } catch (err) {
      done(err as StoreError);
      return;
    }
    this.busy.set(fd, (this.busy.get(fd) ?? 0) + 1);
    const finish = (err: Error | null): void => {
      const left = this.busy.get(fd)! - 1;
      if (left > 0) this.busy.set(fd, left);
      else {
        this.busy.delete(fd);
        if (this.retired.delete(fd)) closeQuietly(fd);
      }
      if (err === null) {
        done(null);
        return;
      }
      if (this.fds.get(scenario) === fd) this.closeOne(scenario);
      done(new StoreError(`could not append to ${this.pathOf(scenario)}: ${err.message}`, { cause: err }));
    };
    let total = 0;
    for (const c of chunks) total += c.length;
    // A short write (rare: a full disk, a signal) leaves the rest as one buffer, written until done.
    const rest = (data: Buffer): void => {
      write(fd, data, 0, data.length, null, (err, n) => {
        if (err !== null) finish(err);
        else if (n < data.length) rest(data.subarray(n));
        else finish(null);
      });
    };
    writev(fd, chunks as Buffer[], null, (err, n) => {
      if (err !== null) finish(err);
      else if (n < total) rest(Buffer.concat(chunks as Buffer[], total).subarray(n));
      else finish(null);
    });
  }

  /** fsync every open file (used on the way down). */
  syncAll(): void {
    for (const fd of this.fds.values()) {
      try {
        fsyncSync(fd);
      } catch {
        // best effort: the data was written; fsync failing (e.g. on some filesystems) is not worth a throw on exit
      }
    }
  }

  close(): void {
    for (const scenario of [...this.fds.keys()]) this.closeOne(scenario);
  }

  private closeOne(scenario: string): void {
    const fd = this.fds.get(scenario);
    if (fd === undefined) return;
    this.fds.delete(scenario);
    if (this.lastUsed === scenario) this.lastUsed = undefined;
    if (this.busy.has(fd)) this.retired.add(fd);
    else closeQuietly(fd);
  }

  private fdFor(scenario: string): number {
    const open = this.fds.get(scenario);
    if (open !== undefined) {
      if (this.lastUsed !== scenario) {
        // Most recently used goes last; the first entry is the one to close when the cap is reached.
        this.fds.delete(scenario);
        this.fds.set(scenario, open);
        this.lastUsed = scenario;
      }
      return open;
    }
    const path = this.pathOf(scenario);
    // Close before opening: at the cap, the new descriptor must not be the one the process limit refuses.
    while (this.fds.size >= this.maxOpenFiles) this.closeOne(this.fds.keys().next().value!);
    try {
      if (!this.dirReady) {
        mkdirSync(this.dir, { recursive: true, mode: 0o700 });
        this.dirReady = true;
      }
      const fd = openSync(path, APPEND_FLAGS, 0o600);
      try {
        repairTornTail(fd, path);
      } catch (err) {
        closeSync(fd);
        throw err;
      }
      this.fds.set(scenario, fd);
      this.lastUsed = scenario;
      return fd;
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError(`could not open ${path}: ${(err as Error).message}`, { cause: err });
    }
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed or invalid: nothing to do
  }
}

/**
 * If a previous process died mid-write, the file ends without '\n'. Terminate that torn line first so the next
 * line is never glued onto it (readers then skip exactly one invalid line).
 */
function repairTornTail(fd: number, path: string): void {
  const st = fstatSync(fd);
  if (!st.isFile()) throw new StoreError(`${path} is not a regular file`);
  if (st.size === 0) return;
  // O_APPEND descriptors can still pread at an offset; we opened write-only, so read through a second descriptor.
  const rfd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  try {
    const b = Buffer.alloc(1);
    readSync(rfd, b, 0, 1, st.size - 1);
    if (b[0] !== 0x0a) writeSync(fd, '\n');
  } finally {
    closeSync(rfd);
  }
}
