import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { diag } from '../../core/diag.js';
import { readStateFileSync, writeStateFileSync } from '../../core/stateFile.js';
import { MAX_COUNTER_NAME_LENGTH } from './UsageCounters.js';

/**
 * Counts that were counted but not yet reported, kept on disk so a restart (or a crash between reports) loses
 * nothing: `{dir}/usage-counters.json` = `{"commands":{"name":n},"metrics":{"name":n}}`. Every process using the dir
 * adds its deltas under a lock, and whichever process reports next reports them and empties the file.
 */
export const COUNTERS_FILE = 'usage-counters.json';
const LOCK_FILE = 'usage-counters.lock';
// Holders keep the lock for a read and a write; one older than this belongs to a process that died holding it.
const STALE_LOCK_MS = 10_000;
const LOCK_ATTEMPTS = 200;
const LOCK_WAIT_MS = 5;

export interface CountSet {
  commands: Map<string, number>;
  metrics: Map<string, number>;
}

export function emptyCounts(): CountSet {
  return { commands: new Map(), metrics: new Map() };
}

/** The unreported counts saved in `dir` (empty when there is no file; a corrupt file is reported and ignored). */
export function readPersistedCounts(dir: string): CountSet {
  let text: string;
  try {
    text = readStateFileSync(join(dir, COUNTERS_FILE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') diag.warn(`ignoring ${COUNTERS_FILE} in ${dir}: ${(err as Error).message}`);
    return emptyCounts();
  }
  try {
    const parsed = JSON.parse(text) as { commands?: unknown; metrics?: unknown };
    return { commands: toCountMap(parsed.commands), metrics: toCountMap(parsed.metrics) };
  } catch (err) {
    diag.warn(`ignoring unreadable ${COUNTERS_FILE} in ${dir}: ${(err as Error).message}`);
    return emptyCounts();
  }
}

function toCountMap(value: unknown): Map<string, number> {
  const out = new Map<string, number>();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [name, n] of Object.entries(value as Record<string, unknown>)) {
    if (name.length > 0 && name.length <= MAX_COUNTER_NAME_LENGTH && typeof n === 'number' && Number.isSafeInteger(n) && n > 0) out.set(name, n);
  }
  return out;
}

/** Replace the saved counts (core/stateFile: random exclusive temp file, fsync, rename, mode 0600); removes the file when there is nothing left. */
export function writePersistedCounts(dir: string, counts: CountSet): void {
  const file = join(dir, COUNTERS_FILE);
  if (counts.commands.size === 0 && counts.metrics.size === 0) {
    try {
      unlinkSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return;
  }
  writeStateFileSync(dir, COUNTERS_FILE, JSON.stringify({ commands: toObject(counts.commands), metrics: toObject(counts.metrics) }) + '\n');
}

function toObject(map: ReadonlyMap<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  // defineProperty keeps a name like "__proto__" as plain data
  for (const [k, v] of map) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

export function addCounts(a: CountSet, b: CountSet): CountSet {
  return { commands: addMaps(a.commands, b.commands), metrics: addMaps(a.metrics, b.metrics) };
}

function addMaps(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map(a);
  for (const [k, v] of b) out.set(k, Math.min(Number.MAX_SAFE_INTEGER, (out.get(k) ?? 0) + v));
  return out;
}

/**
 * Run `fn` holding `{dir}/usage-counters.lock` (exclusive create), so read-modify-write of the counts file by
 * several processes never loses an update. Synchronous on purpose: it runs inside `process.on('exit')`. Waits at
 * most about a second; returns `{ ok: false }` when the lock could not be had (the caller keeps its counts).
 */
export function withCountersLock<T>(dir: string, fn: () => T): { ok: true; value: T } | { ok: false } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lock = join(dir, LOCK_FILE);
  let held = false;
  for (let attempt = 0; attempt < LOCK_ATTEMPTS && !held; attempt++) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      held = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (isStale(lock)) {
        try {
          unlinkSync(lock);
        } catch {
          // another process removed it first
        }
      } else {
        sleepSync(LOCK_WAIT_MS);
      }
    }
  }
  if (!held) return { ok: false };
  try {
    return { ok: true, value: fn() };
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      // nothing to do: a stale-lock breaker already removed it
    }
  }
}

function isStale(lock: string): boolean {
  try {
    const pid = Number(readFileSync(lock, 'utf8').trim());
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && !isAlive(pid)) return true;
    return Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS;
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}
