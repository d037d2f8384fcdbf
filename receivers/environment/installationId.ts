import { randomUUID } from 'node:crypto';
import { linkSync, mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { diag } from '../../core/diag.js';
import { readStateFileSync } from '../../core/stateFile.js';

export const INSTALLATION_ID_FILE = 'installation-id';
/** Semantic convention attribute for the id (`app.installation.id`); the line's `installation_id`. */
export { ATTR_APP_INSTALLATION_ID } from '../../core/record.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The persisted id of this telemetry dir, or undefined when there is none (or it is not a UUID). */
export function readInstallationId(dir: string): string | undefined {
  let text: string;
  try {
    // A link or non-regular file at the name is refused (and then replaced by rename, never written through).
    text = readStateFileSync(join(dir, INSTALLATION_ID_FILE), 4096).trim().toLowerCase();
  } catch {
    return undefined;
  }
  return UUID.test(text) ? text : undefined;
}

/**
 * Return the dir's installation id, creating it once if there is none. Race-safe between processes starting at the
 * same moment: the candidate is written completely to a private temp file, then hard-linked into place, which fails
 * with EEXIST when another process won; every process then reads back the one file, so all agree on one id.
 * A file that exists but holds no UUID (hand-edited, truncated) is replaced atomically by rename.
 */
export function ensureInstallationId(dir: string, candidate: string = randomUUID()): string {
  const existing = readInstallationId(dir);
  if (existing !== undefined) return existing;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, INSTALLATION_ID_FILE);
  const tmp = join(dir, `.${INSTALLATION_ID_FILE}.${process.pid}.${randomUUID()}.tmp`);
  writeFileSync(tmp, candidate + '\n', { mode: 0o600, flag: 'wx' });
  try {
    try {
      linkSync(tmp, file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        // Another process created it first (or it exists but is unreadable as a UUID: replace that one).
        if (readInstallationId(dir) === undefined && !isBeingWritten(file)) renameSync(tmp, file);
      } else if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS' || code === 'EXDEV') {
        // File systems without hard links: exclusive create, content written in one call.
        writeExclusive(file, candidate);
      } else {
        throw err;
      }
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed into place
    }
  }
  const id = readInstallationId(dir);
  if (id === undefined) throw new Error(`could not create ${file}`);
  return id;
}

function writeExclusive(file: string, id: string): void {
  try {
    writeFileSync(file, id + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

// Only the link/rename path is used to create the file, so a complete file is never "being written"; this guards the
// exclusive-create fallback, whose file can be empty for an instant.
function isBeingWritten(file: string): boolean {
  try {
    return readStateFileSync(file, 4096).length === 0;
  } catch {
    return false;
  }
}

/**
 * The installation id as the rest of the package sees it. While telemetry is off nothing is written: an existing
 * id is read, otherwise a provisional in-memory id is used, and that same id is persisted the first time telemetry
 * is on (unless another process persisted one first, which then wins for everybody).
 */
export class InstallationIdStore {
  readonly dir: string;
  private persisted: string | undefined;
  private provisional: string | undefined;

  constructor(dir: string) {
    this.dir = dir;
  }

  get(persist: boolean): string {
    if (this.persisted !== undefined) return this.persisted;
    const existing = readInstallationId(this.dir);
    if (existing !== undefined) return (this.persisted = existing);
    this.provisional ??= randomUUID();
    if (persist) {
      try {
        return (this.persisted = ensureInstallationId(this.dir, this.provisional));
      } catch (err) {
        diag.warn(`could not persist the installation id in ${this.dir}: ${(err as Error).message}`);
      }
    }
    return this.provisional;
  }
}
