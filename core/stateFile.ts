import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The one way this package writes and reads its small state files (consent toggle, usage counters, trace usage,
 * installation id, upload cursors and state) in the telemetry dir, so a planted link or a guessed temp name can
 * never redirect a write:
 *  - written to a temp file in the same dir with an unguessable name (16 random bytes), created exclusively
 *    (`O_CREAT|O_EXCL|O_NOFOLLOW`, mode 0600): a link or file planted at any name is never opened;
 *  - written whole, fsynced, then renamed over the state file (rename replaces a link at the target, it never
 *    follows it);
 *  - read with `O_NOFOLLOW|O_NONBLOCK` and refused unless it is a regular file (no symlink, FIFO, device, dir),
 *    and never more than `maxBytes`.
 * The dir itself is checked by `unsafeDataDir`: one that others may write is refused by the caller.
 */

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const NONBLOCK = constants.O_NONBLOCK ?? 0;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW;
const READ_FLAGS = constants.O_RDONLY | NOFOLLOW | NONBLOCK;
/** Largest state file read by default (the trace usage budget may raise it). */
export const DEFAULT_STATE_READ_MAX_BYTES = 16 * 1024 * 1024;

function tempName(dir: string, name: string): string {
  return join(dir, `.${name}.${randomBytes(16).toString('hex')}.tmp`);
}

/** Write `{dir}/{name}` atomically (see the module comment). Creates the dir (0700) when missing. Throws on failure. */
export function writeStateFileSync(dir: string, name: string, data: string | Uint8Array): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = tempName(dir, name);
  const fd = openSync(tmp, CREATE_FLAGS, 0o600);
  try {
    try {
      const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(dir, name));
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created or already renamed
    }
    throw err;
  }
}

/**
 * The same, without blocking the event loop. `beforeRename` may veto the rename (return false: the temp file is
 * removed and nothing changes), e.g. when a newer state was written meanwhile. Resolves true when renamed.
 */
export async function writeStateFile(dir: string, name: string, data: string | Uint8Array, beforeRename?: () => boolean): Promise<boolean> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = tempName(dir, name);
  const fh = await open(tmp, CREATE_FLAGS, 0o600);
  try {
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (beforeRename !== undefined && !beforeRename()) {
      await unlink(tmp).catch(() => undefined);
      return false;
    }
    await rename(tmp, join(dir, name));
    return true;
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** Why a state file was not read (thrown by `readStateFileSync`); `code` is `ENOENT` when there is simply none. */
class StateFileError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'StateFileError';
    this.code = code;
  }
}

/**
 * Read a state file as UTF-8, refusing a symlink (`ELOOP`), anything but a regular file (`ENOTREG`) and a file over
 * `maxBytes` (`EFBIG`). Throws the fs error (`ENOENT` when there is none) or a StateFileError.
 */
export function readStateFileSync(path: string, maxBytes: number = DEFAULT_STATE_READ_MAX_BYTES): string {
  const fd = openSync(path, READ_FLAGS);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new StateFileError('ENOTREG', `${path} is not a regular file`);
    if (st.size > maxBytes) throw new StateFileError('EFBIG', `${path} is larger than ${maxBytes} bytes`);
    const buf = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Why `dir` must not hold telemetry state, or undefined when it may: it exists and is not a directory, others may
 * write it (group or world write bit: they could plant links or swap files), or it belongs to another user.
 * A dir that does not exist yet is fine: it is created 0700.
 */
export function unsafeDataDir(dir: string): string | undefined {
  let st;
  try {
    st = statSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return `telemetry dir ${dir} cannot be checked: ${(err as Error).message}`;
  }
  if (!st.isDirectory()) return `telemetry dir ${dir} is not a directory`;
  if (process.platform === 'win32') return undefined; // no POSIX mode bits or owners to check
  if ((st.mode & 0o022) !== 0) {
    return `telemetry dir ${dir} is writable by others (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}): they could plant links or swap its state files; use a private dir (chmod 700 ${dir}) or set TELEMETRY_DIR`;
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  if (uid !== undefined && st.uid !== uid) return `telemetry dir ${dir} belongs to user ${st.uid}, not to this process's user ${uid}; use a dir of your own (TELEMETRY_DIR)`;
  return undefined;
}
