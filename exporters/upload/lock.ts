import { closeSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { sharedSlot } from '../../core/globalSlots.js';

export const LOCK_FILE = 'upload.lock';

// Locks held by this process, shared by ESM and CommonJS copies of the package: a second uploader on the same dir
// in the same process must see the lock as taken even though the pid in it is its own.
function held(): Set<string> {
  return sharedSlot('uploadLocks', () => new Set<string>());
}

/** A lock on another host (a shared network dir) counts as stale once it has not been refreshed for this long. */
const FOREIGN_STALE_MS = 10 * 60_000;

interface LockContent {
  pid: number;
  host: string;
  started: string;
}

/**
 * One uploader per store dir: several processes of an app may share a data dir, and two uploaders would both send
 * (harmless for the endpoint, which drops duplicates, but wasteful) and race on the cursor file. The lock file holds
 * pid and host; a lock whose process is gone (same host), or that was not refreshed for 10 minutes (other host), is
 * taken over. Created by link(2) of a complete temp file, so no one ever reads a half-written lock.
 */
export class DirLock {
  readonly path: string;
  private readonly dir: string;
  private mine = false;

  constructor(dir: string, name = LOCK_FILE) {
    this.dir = dir;
    this.path = join(dir, name);
  }

  get held(): boolean {
    return this.mine;
  }

  /** Take the lock if free or stale; refresh it if already ours. Never throws. */
  tryAcquire(): boolean {
    try {
      if (this.mine) {
        if (this.stillMine()) {
          const now = new Date();
          utimesSync(this.path, now, now);
          return true;
        }
        this.mine = false;
        held().delete(this.path);
      }
      if (held().has(this.path)) return false; // another uploader of this process has it
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      if (this.create()) return true;
      if (!this.isStale()) return false;
      try {
        unlinkSync(this.path);
      } catch {
        // someone else removed it first
      }
      return this.create();
    } catch {
      return false;
    }
  }

  /** Who holds the lock now, as written in the lock file (undefined when there is none or it cannot be read). */
  holder(): { pid: number; host: string; started: string } | undefined {
    return this.read();
  }

  release(): void {
    if (!this.mine) return;
    this.mine = false;
    held().delete(this.path);
    try {
      if (this.stillMine()) unlinkSync(this.path);
    } catch {
      // already gone
    }
  }

  private create(): boolean {
    const tmp = `${this.path}.${process.pid}.${Date.now().toString(36)}.tmp`;
    const content: LockContent = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, JSON.stringify(content) + '\n');
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(tmp, this.path);
      this.mine = true;
      held().add(this.path);
      return true;
    } catch {
      return false;
    } finally {
      try {
        unlinkSync(tmp);
      } catch {
        // nothing to clean
      }
    }
  }

  private read(): LockContent | undefined {
    try {
      const c = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<LockContent>;
      if (typeof c.pid !== 'number' || typeof c.host !== 'string') return undefined;
      return { pid: c.pid, host: c.host, started: String(c.started) };
    } catch {
      return undefined;
    }
  }

  private stillMine(): boolean {
    const c = this.read();
    return c !== undefined && c.pid === process.pid && c.host === hostname();
  }

  private isStale(): boolean {
    const c = this.read();
    if (c === undefined) {
      // unreadable or empty: stale unless it was just created (a writer between link and our read cannot exist:
      // link publishes a complete file), so treat it as stale
      return true;
    }
    if (c.host !== hostname()) {
      try {
        return Date.now() - statSync(this.path).mtimeMs > FOREIGN_STALE_MS;
      } catch {
        return true;
      }
    }
    // Our own pid but not held by this process: a previous life of this process id (containers restart as pid 1).
    if (c.pid === process.pid) return true;
    try {
      process.kill(c.pid, 0);
      return false;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }
}
