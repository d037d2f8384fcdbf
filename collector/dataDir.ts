import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { StoreError } from '../core/errors.js';
import { storeIdOf } from '../core/storeId.js';
import { DirLock } from '../exporters/upload/lock.js';

/** `{dir}/collector.lock`: one collector per data dir. */
const COLLECTOR_LOCK_FILE = 'collector.lock';

/** The lock is refreshed this often, so a collector on another host sharing the dir never sees it as stale. */
const REFRESH_MS = 60_000;

export interface DataDirClaim {
  /** The dir's identity (`{dir}/store-id`), which the upload route compares with an uploader's. */
  readonly storeId: string | undefined;
  /** Release the lock (idempotent). */
  release(): void;
}

/**
 * Make the collector's data dir usable and take it: create it (0700) when missing, check it is a directory this
 * process can read and write, and take `{dir}/collector.lock` (pid and host; a lock whose process is gone is taken
 * over). Throws a StoreError naming the dir and the cause — or the other collector's pid — when it cannot.
 * The lock is released by `release()` and, failing that, when the process exits.
 */
export function claimDataDir(dir: string): DataDirClaim {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EEXIST' || e.code === 'ENOTDIR' ? 'a path on the way is not a directory' : e.message;
    throw new StoreError(`cannot use the data directory ${dir}: ${why} (set --dir or TELEMETRY_DIR to a writable directory)`, { cause: err });
  }
  const lock = new DirLock(dir, COLLECTOR_LOCK_FILE);
  if (!lock.tryAcquire()) {
    const h = lock.holder();
    const who = h === undefined ? 'another process' : `another collector (pid ${h.pid} on host ${h.host}, since ${h.started})`;
    throw new StoreError(
      `the data directory ${dir} is in use by ${who}: one collector per data dir (${lock.path}); ` +
        `stop that one or start this one with another --dir / TELEMETRY_DIR`,
    );
  }
  const timer = setInterval(() => lock.tryAcquire(), REFRESH_MS);
  timer.unref();
  const onExit = (): void => lock.release();
  process.once('exit', onExit);
  let released = false;
  return {
    storeId: storeIdOf(dir),
    release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      process.removeListener('exit', onExit);
      lock.release();
    },
  };
}
