import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../helpers.js';
import { cli, CliProcess, line, stopAll } from './cliProcess.js';

// Issue 15: `logs` refuses store files that are not regular files (no hang on a FIFO, no symlink followed), ends on
// SIGINT/SIGTERM, and --tail/--limit have a documented maximum.

const fifos: string[] = [];
afterEach(async () => {
  // An old CLI blocked in open() on a FIFO is released by a writer; the child is killed anyway.
  for (const f of fifos.splice(0)) {
    try {
      closeSync(openSync(f, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // no reader waiting
    }
  }
  await stopAll();
});

const ev = (i: number): string => line({ ts: new Date(Date.UTC(2025, 0, 15, 12, 0, i)).toISOString(), event: 'tick', id: `e${i}` }) + '\n';

describe('logs on files that are not regular files', { timeout: 120_000 }, () => {
  it('a FIFO as the scenario file (or a segment): exits 1 at once naming it, with or without --follow', async () => {
    const dir = tmpDir('opt-cli-fifo-');
    execFileSync('mkfifo', [join(dir, 'f.jsonl')]);
    fifos.push(join(dir, 'f.jsonl'));
    writeFileSync(join(dir, 'g.jsonl'), ev(1));
    execFileSync('mkfifo', [join(dir, 'g.jsonl.1700000000000')]);
    fifos.push(join(dir, 'g.jsonl.1700000000000'));
    for (const args of [['f'], ['f', '--follow', '--poll-interval', '50'], ['f', '--tail', '5'], ['g']]) {
      const t0 = performance.now();
      const r = await cli(['logs', ...args, '--dir', dir, '--format', 'jsonl'], {}, 20_000);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(/is not a regular file \(a FIFO\); refused/);
      expect(r.stdout).toBe('');
      expect(performance.now() - t0).toBeLessThan(15_000);
    }
  });

  it('a symlink as the scenario file: refused, its target never printed', async () => {
    const parent = tmpDir('opt-cli-link-');
    const dir = join(parent, 'data');
    mkdirSync(dir);
    writeFileSync(join(parent, 'outside.jsonl'), line({ ts: '2025-01-15T12:00:00.000Z', event: 'outside-secret' }) + '\n');
    symlinkSync(join(parent, 'outside.jsonl'), join(dir, 'x.jsonl'));
    const r = await cli(['logs', 'x', '--dir', dir, '--format', 'jsonl'], {}, 20_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/x\.jsonl is not a regular file \(a symbolic link\); refused/);
    expect(r.stdout).not.toContain('outside-secret');
  });

  it('SIGINT and SIGTERM end logs --follow while it waits for a file', async () => {
    const dir = tmpDir('opt-cli-sig-');
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const p = new CliProcess(['logs', 'later', '--dir', dir, '--follow', '--poll-interval', '50', '--format', 'jsonl']);
      await p.waitFor(/does not exist yet/, 'stderr');
      const exit = await p.stop(signal, 10_000);
      expect(exit, signal).toEqual({ code: 0, signal: null });
    }
  });
});

describe('logs --tail / --limit maxima', { timeout: 120_000 }, () => {
  it('refuses values beyond the documented maximum with a usage error (exit 2) and accepts the maximum', async () => {
    const dir = tmpDir('opt-cli-max-');
    writeFileSync(join(dir, 's.jsonl'), ev(1) + ev(2));
    for (const [flag, value] of [['--tail', '100001'], ['--tail', '100000000'], ['--limit', '100000001']]) {
      const r = await cli(['logs', 's', '--dir', dir, flag!, value!], {}, 20_000);
      expect(r.code, `${flag} ${value}`).toBe(2);
      expect(r.stderr, `${flag} ${value}`).toMatch(/at most (100000|100000000)\b/);
    }
    const ok = await cli(['logs', 's', '--dir', dir, '--tail', '100000', '--format', 'jsonl'], {}, 20_000);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(ev(1) + ev(2));
  });
});
