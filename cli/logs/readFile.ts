import type { Stats } from 'node:fs';
import { sleep } from '../../core/sleep.js';
import { closeFd, fstatFd, openRead, statPath } from './fsCalls.js';
import { CliError } from '../errors.js';
import type { EntrySink } from './format.js';
import { Matcher, type MatchOptions, type MatchResult } from './matcher.js';

/** The scenario's file does not exist (and not following). */
export class LogNotFoundError extends CliError {
  constructor(path: string, options?: { cause?: unknown }) {
    super(`no telemetry file ${path}`, options);
    this.name = 'LogNotFoundError';
  }
}

export interface ReadLogOptions extends MatchOptions {
  /** Keep reading as the file grows, across rotation (a new file at the path) and truncation. */
  follow?: boolean;
  /** How often follow checks the file (ms). */
  pollMs?: number;
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
    const ofh = await openRead(older).catch(() => undefined);
    if (ofh === undefined) continue;
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
  let fh = await openLog(path, options.follow === true || haveOlder, pollMs, warn, signal, options.follow !== true);
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

    while (!signal?.aborted && !matcher.done) {
      await sleep(pollMs, signal);
      if (signal?.aborted) break;
      if ((await fstatFd(fh)).size < pos) {
        warn(`${path}: file truncated; reading it again from the start`);
        pos = 0;
        scanner.reset();
      }
      pos = await scanner.readFrom(fh, pos, drain);
      const current = await statOrNull(path);
      if (!matcher.done && current !== null && !sameFile(current, await fstatFd(fh))) {
        // Rotated: the old file was read to its end just above; an unfinished last line there stays torn.
        scanner.end();
        await closeFd(fh);
        fh = undefined;
        warn(`${path}: file replaced (rotation); following the new file`);
        scanner.reset();
        fh = await openLog(path, true, pollMs, warn, signal);
        if (fh === undefined) break;
        pos = await scanner.readFrom(fh, 0, drain);
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
    let fh: number;
    try {
      fh = await openRead(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw new CliError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
      if (!follow) throw new LogNotFoundError(path, { cause: err });
      if (once) return undefined;
      if (!told) warn(`${path}: does not exist yet; waiting for it`);
      told = true;
      await sleep(pollMs, signal);
      if (signal?.aborted) return undefined;
      continue;
    }
    if (!(await fstatFd(fh)).isFile()) {
      await closeFd(fh);
      throw new CliError(`${path} is not a regular file`);
    }
    return fh;
  }
}
