import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsonlFileWriter } from './writer.js';
import { StoreError, ScenarioNameError } from '../../core/errors.js';
import { tmpDir } from '../../test/helpers.js';

describe('JsonlFileWriter', () => {
  it('creates the dir 0700 and files 0600 and appends whole lines', () => {
    const dir = join(tmpDir(), 'nested', 'data');
    const w = new JsonlFileWriter(dir);
    w.append('s1', '{"a":1}\n');
    w.append('s1', '{"a":2}\n{"a":3}\n');
    w.close();
    expect(readFileSync(join(dir, 's1.jsonl'), 'utf8')).toBe('{"a":1}\n{"a":2}\n{"a":3}\n');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 's1.jsonl')).mode & 0o777).toBe(0o600);
  });

  it('never glues a new line onto a torn one left by a crash', () => {
    const dir = tmpDir();
    writeFileSync(join(dir, 's.jsonl'), '{"ok":1}\n{"torn":');
    const w = new JsonlFileWriter(dir);
    w.append('s', '{"next":1}\n');
    w.close();
    expect(readFileSync(join(dir, 's.jsonl'), 'utf8')).toBe('{"ok":1}\n{"torn":\n{"next":1}\n');
  });

  it('refuses unsafe scenario names and symlinks planted in the data dir', () => {
    const root = tmpDir();
    const dir = join(root, 'data');
    mkdirSync(dir);
    const outside = join(root, 'outside.txt');
    writeFileSync(outside, 'precious\n');
    symlinkSync(outside, join(dir, 'evil.jsonl'));
    const w = new JsonlFileWriter(dir);
    expect(() => w.append('evil', '{"x":1}\n')).toThrow(StoreError);
    expect(readFileSync(outside, 'utf8')).toBe('precious\n');
    expect(() => w.append('../outside', '{"x":1}\n')).toThrow(ScenarioNameError);
    expect(existsSync(join(root, 'outside.jsonl'))).toBe(false);
  });

  it('reports a read-only directory as a StoreError instead of crashing, and recovers when writable', () => {
    if (process.getuid?.() === 0) {
      // root ignores permissions; use a path under a regular file instead, which fails for everyone
      const base = tmpDir();
      writeFileSync(join(base, 'file'), '');
      const w = new JsonlFileWriter(join(base, 'file', 'data'));
      expect(() => w.append('s', '{}\n')).toThrow(StoreError);
      return;
    }
    const dir = tmpDir();
    const { chmodSync } = require('node:fs') as typeof import('node:fs');
    chmodSync(dir, 0o500);
    const w = new JsonlFileWriter(dir);
    expect(() => w.append('s', '{}\n')).toThrow(StoreError);
    chmodSync(dir, 0o700);
    w.append('s', '{}\n');
    expect(readFileSync(join(dir, 's.jsonl'), 'utf8')).toBe('{}\n');
  });

  it('holds at most maxOpenFiles descriptors (least-recently-used closed) and re-opens with the same checks', () => {
    const dir = tmpDir();
    const w = new JsonlFileWriter(dir, { maxOpenFiles: 2 });
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const before = process.platform === 'linux' ? fds() : 0;
    w.append('a', '1\n');
    w.append('b', '1\n');
    w.append('a', '2\n'); // a is now the most recent: c evicts b
    w.append('c', '1\n');
    expect(w.openFiles).toBe(2);
    if (process.platform === 'linux') expect(fds()).toBe(before + 2);
    w.append('b', '2\n'); // re-opened (evicts a)
    for (let i = 0; i < 50; i++) w.append(`s${i}`, 'x\n');
    expect(w.openFiles).toBe(2);
    // A file closed by the cap and replaced by a symlink meanwhile is refused on re-open, never followed.
    const outside = join(tmpDir(), 'outside.jsonl');
    rmSync(join(dir, 'a.jsonl'));
    symlinkSync(outside, join(dir, 'a.jsonl'));
    expect(() => w.append('a', '3\n')).toThrow(StoreError);
    expect(existsSync(outside)).toBe(false);
    // ... and so is a FIFO (opening it must not block the process).
    execFileSync('mkfifo', [join(dir, 'f.jsonl')]);
    expect(() => w.prepare(['f'])).toThrow(StoreError);
    w.close();
    expect(readFileSync(join(dir, 'b.jsonl'), 'utf8')).toBe('1\n2\n');
    expect(readFileSync(join(dir, 'c.jsonl'), 'utf8')).toBe('1\n');
    expect(w.openFiles).toBe(0);
  });
});
