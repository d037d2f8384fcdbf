import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** `{dir}/store-id`: a random identity of a data dir, created by whoever needs it first (app uploader or collector). */
const STORE_ID_FILE = 'store-id';

/** Request header with which an uploader names the data dir it sends from (its `store-id`). */
export const STORE_ID_HEADER = 'x-telemetry-store-id';

const ID = /^[0-9a-f]{32}$/;
const cache = new Map<string, string>();

/**
 * The identity of a data dir: 32 hex characters kept in `{dir}/store-id`, created (complete, by link(2) of a temp
 * file, so two processes agree on one id) when missing. Two paths to the same dir — symlinks, bind mounts, a shared
 * volume seen from two containers — give the same identity, which a comparison of path names would not.
 * Undefined when the dir cannot be read or written (then nothing is compared). Cached per path.
 */
export function storeIdOf(dir: string): string | undefined {
  const known = cache.get(dir);
  if (known !== undefined) return known;
  const file = join(dir, STORE_ID_FILE);
  let id = readId(file);
  if (id === undefined) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      const fd = openSync(tmp, 'wx', 0o600);
      try {
        writeSync(fd, randomBytes(16).toString('hex') + '\n');
      } finally {
        closeSync(fd);
      }
      try {
        linkSync(tmp, file);
      } catch {
        // someone else created it first: theirs is the id
      } finally {
        try {
          unlinkSync(tmp);
        } catch {
          // nothing to clean
        }
      }
    } catch {
      return undefined;
    }
    id = readId(file);
  }
  if (id !== undefined) cache.set(dir, id);
  return id;
}

function readId(file: string): string | undefined {
  try {
    const text = readFileSync(file, 'utf8').trim();
    return ID.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
}
