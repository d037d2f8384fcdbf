import type { Stats } from 'node:fs';
import { sleep } from '../core/sleep.js';
import { LogNotFoundError, LogReadError, NotRegularFileError } from './errors.js';
import { closeFd, fstatFd, openRead, statPath } from './fsCalls.js';
import type { EntrySink } from './sinks.js';
import { Matcher, type MatchOptions, type MatchResult } from './matcher.js';

/**
 * Open a store file for reading: O_NOFOLLOW|O_NONBLOCK (fsCalls.ts), then fstat on the descriptor and refuse
 * anything but a regular file. Errors other than a symlink (ENOENT, EACCES...) are thrown as they are.
 */
async function openStoreFile(path: string): Promise<number> {
  let fd: number;
  try {
    fd = await openRead(path);
  } catch (err) {
    // Linux says ELOOP for a symlink opened with O_NOFOLLOW, FreeBSD EMLINK.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'EMLINK') throw new NotRegularFileError(path, 'a symbolic link', { cause: err });
    throw err;
  }
  let st: Stats;
  try {
    st = await fstatFd(fd);
  } catch (err) {
    await closeFd(fd);
    throw err;
  }
  if (!st.isFile()) {
    await closeFd(fd);
    throw new NotRegularFileError(path, st.isFIFO() ? 'a FIFO' : st.isDirectory() ? 'a directory' : st.isSocket() ? 'a socket' : 'a device or other special file');
  }
  return fd;
}

export interface ReadLogOptions extends MatchOptions {
  /** Keep reading as the file grows, across rotation (a new file at the path) and truncation. */
  follow?: boolean;
  /** How often follow checks the file (ms). */
  pollMs?: number;
  /**
   * With follow: while nothing changes, the check interval doubles from `pollMs` up to this (ms); any new line,
   * truncation or rotation sets it back to `pollMs`. Default `pollMs` (a fixed interval).
   */
  idlePollMs?: number;
  /** With follow: wait for a missing file to appear (like `tail -F`, the default); false: LogNotFoundError. */
  waitForFile?: boolean;
  /** Between chunks: lets the output drain (back-pressure). */
  drain: () => Promise<void>;
  /** Ends follow mode. */
  signal?: AbortSignal;
  /** Older files of the same log, read first in this order (rotated segments). */
  before?: readonly string[];
}

/**
 * Stream `{dir}/{scenario}.jsonl` through the filters into a sink, in constant memory: a fixed read buffer, a ring
 * of `tail` lines at most, nothing else kept per line. Invalid lines are reported with their line numbers and skipped.
 * With `follow`, it then polls like `tail -F`: appended lines are printed, a truncated file is read again from the
 * start, and a file replaced at the path (rotation) is finished and the new one followed.
 */
export async function readLogFile(path: string, sink: EntrySink, options: ReadLogOptions): Promise<MatchResult> {
  let label = path;
  const matcher = new Matcher(() => label, sink, options);
  const { scanner } = matcher;
  const { warn, signal } = options;
  const pollMs = options.pollMs ?? 250;
  // Between chunks: let the output drain, and stop a long scan on SIGINT/SIGTERM (not only in follow mode).
  const drain = (): Promise<void> => {
    if (signal?.aborted) scanner.stopped = true;
    return options.drain();
  };

  // Older files first (rotated segments), each read to its end; a segment removed meanwhile was sent and compacted.
  for (const older of options.before ?? []) {
    if (matcher.done) break;
    let ofh: number;
    try {
      ofh = await openStoreFile(older);
    } catch (err) {
      // Sent and compacted since it was listed: nothing to read. Anything else (a symlink, a FIFO) is refused.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    label = older;
    try {
      await scanner.readFrom(ofh, 0, drain);
      scanner.end();
    } finally {
      await closeFd(ofh);
    }
    if (!matcher.done) scanner.reset();
  }
  label = path;
  if (matcher.done) {
    matcher.releaseTail();
    sink.end();
    return matcher.result;
  }

  // A missing active file is an error only when there were no segments either; follow waits for it.
  const haveOlder = (options.before?.length ?? 0) > 0;
  const waitForFile = options.follow === true && options.waitForFile !== false;
  let fh = await openLog(path, waitForFile || haveOlder, pollMs, warn, signal, !waitForFile);
  if (fh === undefined) {
    // follow was stopped before the file appeared, or only segments exist
    matcher.releaseTail();
    sink.end();
    return matcher.result;
  }
  try {
    let pos = await scanner.readFrom(fh, 0, drain);
    if (!options.follow || matcher.done) {
      scanner.end();
      matcher.releaseTail();
      return matcher.result;
    }
    matcher.releaseTail();
    sink.flush();

    const idlePollMs = Math.max(pollMs, options.idlePollMs ?? pollMs);
    let delay = pollMs;
    // The open file as last seen by fstat: while the path still names it at the size read up to, nothing happened.
    let known: Stats | undefined;
    while (!signal?.aborted && !matcher.done) {
      await sleep(delay, signal);
      if (signal?.aborted) break;
      // Quick idle check: one stat of the path, shared by every follower of that path (sharedStat). Only when it
      // shows the same file at the same size is the check over; anything else takes the full check below.
      if (known !== undefined) {
        const quick = await sharedStat(path);
        if (quick !== null && sameFile(quick, known) && quick.size === pos) {
          delay = Math.min(delay * 2, idlePollMs);
          continue;
        }
      }
      // The full check is two calls: fstat of the open file (grown? truncated?) and stat of the path (rotated?).
      const st = await fstatFd(fh);
      known = st;
      const was = pos;
      if (st.size < pos) {
        warn(`${path}: file truncated; reading it again from the start`);
        pos = 0;
        scanner.reset();
      }
      if (st.size !== pos) pos = await scanner.readFrom(fh, pos, drain);
      // Idle: check less and less often (up to idlePollMs); back to pollMs as soon as something happens.
      delay = pos !== was ? pollMs : Math.min(delay * 2, idlePollMs);
      const current = await statOrNull(path);
      if (!matcher.done && current !== null && !sameFile(current, st)) {
        // Rotated: read the old file to its end (lines appended since the fstat above); an unfinished last line
        // there stays torn.
        await scanner.readFrom(fh, pos, drain);
        scanner.end();
        await closeFd(fh);
        fh = undefined;
        warn(`${path}: file replaced (rotation); following the new file`);
        scanner.reset();
        fh = await openLog(path, true, pollMs, warn, signal);
        known = undefined;
        if (fh === undefined) break;
        pos = await scanner.readFrom(fh, 0, drain);
        delay = pollMs;
      }
      sink.flush();
    }
    return matcher.result;
  } finally {
    sink.end();
    if (fh !== undefined) await closeFd(fh);
  }
}

function sameFile(a: Stats, b: Stats): boolean {
  return a.ino === b.ino && a.dev === b.dev;
}

/** How long one stat of a path answers the quick idle checks of all its followers. */
const SHARED_STAT_MS = 100;
const sharedStats = new Map<string, { at: number; stat: Promise<Stats | null> }>();

/**
 * A stat of `path` shared by the follow streams of that path for SHARED_STAT_MS: 300 idle followers of one file cost
 * about one stat per window instead of two file-system calls each per check (measured in
 * test/server/eventsBounds.test.ts: a child collector's CPU with 300 idle follow streams). Bounded to 1,000 paths.
 */
function sharedStat(path: string): Promise<Stats | null> {
  const now = performance.now();
  const hit = sharedStats.get(path);
  if (hit !== undefined && now - hit.at < SHARED_STAT_MS) return hit.stat;
  const stat = statOrNull(path);
  sharedStats.delete(path);
  if (sharedStats.size >= 1000) sharedStats.delete(sharedStats.keys().next().value!);
  sharedStats.set(path, { at: now, stat });
  return stat;
}

async function statOrNull(path: string): Promise<Stats | null> {
  try {
    return await statPath(path);
  } catch {
    return null;
  }
}

/** Open the log; with follow, a missing file is waited for (like `tail -F`). Undefined when stopped meanwhile. */
async function openLog(path: string, follow: boolean, pollMs: number, warn: (m: string) => void, signal?: AbortSignal, once = false): Promise<number | undefined> {
  let told = false;
  for (;;) {
    try {
      return await openStoreFile(path);
    } catch (err) {
      if (err instanceof NotRegularFileError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw new LogReadError(path, (err as Error).message, { cause: err });
      if (!follow) throw new LogNotFoundError(path, { cause: err });
      if (once) return undefined;
      if (!told) warn(`${path}: does not exist yet; waiting for it`);
      told = true;
      await sleep(pollMs, signal);
      if (signal?.aborted) return undefined;
    }
  }
}
