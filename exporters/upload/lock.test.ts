import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { tmpDir } from '../../test/helpers.js';
import { DirLock, LOCK_FILE } from './lock.js';

function child(code: string): { pid: number; done: Promise<void>; kill: () => void } {
  const c = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
  return { pid: c.pid!, done: new Promise((r) => c.on('close', () => r())), kill: () => c.kill('SIGKILL') };
}

describe('DirLock: one uploader per store dir', () => {
  it('is exclusive within a process and free again after release', () => {
    const dir = tmpDir();
    const a = new DirLock(dir);
    const b = new DirLock(dir);
    expect(a.tryAcquire()).toBe(true);
    expect(a.tryAcquire()).toBe(true); // refresh
    expect(b.tryAcquire()).toBe(false);
    a.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    expect(b.tryAcquire()).toBe(true);
    b.release();
  });

  it('is not taken from a live process, and is taken over from a dead one', async () => {
    const dir = tmpDir();
    const live = child('setTimeout(() => {}, 30000)');
    try {
      writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: live.pid, host: hostname(), started: new Date().toISOString() }));
      const lock = new DirLock(dir);
      expect(lock.tryAcquire()).toBe(false);
      live.kill();
      await live.done;
      expect(lock.tryAcquire()).toBe(true);
      lock.release();
    } finally {
      live.kill();
    }
  });

  it('takes over a lock left by an earlier life of its own pid (containers restart as pid 1)', () => {
    const dir = tmpDir();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, host: hostname(), started: '2020-01-01T00:00:00Z' }));
    const lock = new DirLock(dir);
    expect(lock.tryAcquire()).toBe(true);
    lock.release();
  });
});
