import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../helpers.js';
import { CliProcess, line, parseLines, stopAll } from './cliProcess.js';

afterEach(stopAll);

const ev = (i: number, event = 'tick', extra: { level?: string } = {}): string => line({ ts: new Date(Date.UTC(2025, 0, 15, 12, 0, i)).toISOString(), event, id: `e${i}`, ...extra }) + '\n';
const ids = (text: string): unknown[] => parseLines(text).map((o) => o.id);
const follow = (dir: string, ...args: string[]) => new CliProcess(['logs', 's', '--dir', dir, '--follow', '--poll-interval', '50', '--format', 'jsonl', ...args]);

describe('logs --follow', { timeout: 180_000 }, () => {
  it('starts with the last 10 matches, then prints appended lines (a line written in two parts only once complete)', async () => {
    const dir = tmpDir('opt-cli-follow-');
    const file = join(dir, 's.jsonl');
    writeFileSync(file, Array.from({ length: 12 }, (_, i) => ev(i)).join(''));
    const p = follow(dir);
    await p.waitFor(/"e11"/);
    expect(ids(p.stdout)).toEqual(['e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9', 'e10', 'e11']);
    appendFileSync(file, ev(12));
    await p.waitFor(/"e12"/);
    const half = ev(13);
    appendFileSync(file, half.slice(0, 20));
    await new Promise((r) => setTimeout(r, 300));
    expect(p.stdout).not.toContain('"e13"');
    appendFileSync(file, half.slice(20));
    await p.waitFor(/"e13"/);
    expect(p.stderr).toBe('');
    const exit = await p.stop('SIGTERM');
    expect(exit.code).toBe(0);
    expect(ids(p.stdout)).toEqual(['e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9', 'e10', 'e11', 'e12', 'e13']);
  });

  it('survives rotation: finishes the renamed file, then follows the new one', async () => {
    const dir = tmpDir('opt-cli-rotate-');
    const file = join(dir, 's.jsonl');
    writeFileSync(file, ev(1));
    const p = follow(dir, '--tail', '5');
    await p.waitFor(/"e1"/);
    // logrotate-style: rename, the old writer still appends to the renamed file, then a new file appears.
    renameSync(file, join(dir, 's.jsonl.1'));
    appendFileSync(join(dir, 's.jsonl.1'), ev(2));
    writeFileSync(file, ev(3) + ev(4));
    await p.waitFor(/"e4"/);
    appendFileSync(file, ev(5));
    await p.waitFor(/"e5"/);
    expect(ids(p.stdout)).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
    expect(p.stderr).toMatch(/s\.jsonl: file replaced \(rotation\); following the new file/);
    expect((await p.stop('SIGINT')).code).toBe(0);
  });

  it('survives truncation: reads the file again from the start', async () => {
    const dir = tmpDir('opt-cli-trunc-');
    const file = join(dir, 's.jsonl');
    writeFileSync(file, ev(1) + ev(2) + ev(3));
    const p = follow(dir);
    await p.waitFor(/"e3"/);
    truncateSync(file, 0);
    await p.waitFor(/file truncated/, 'stderr');
    appendFileSync(file, ev(4));
    await p.waitFor(/"e4"/);
    expect(ids(p.stdout)).toEqual(['e1', 'e2', 'e3', 'e4']);
    expect((await p.stop()).code).toBe(0);
  });

  it('waits for a file that does not exist yet, applies the filters to new lines, and skips a torn one with its number', async () => {
    const dir = tmpDir('opt-cli-wait-');
    const file = join(dir, 's.jsonl');
    const p = follow(dir, '--level', 'error');
    await p.waitFor(/does not exist yet; waiting for it/, 'stderr');
    writeFileSync(file, ev(1) + ev(2, 'migration_failed') + '{"ts":"2025-01-15T12:00:03.000Z","event":"cra\n' + ev(4, 'crash', { level: 'fatal' }));
    await p.waitFor(/"e4"/);
    expect(ids(p.stdout)).toEqual(['e2', 'e4']);
    expect(p.stderr).toMatch(/s\.jsonl:3: torn line \(incomplete JSON object\); line skipped/);
    expect((await p.stop()).code).toBe(0);
  });

  it('--format json closes the array when stopped, so the output stays valid JSON', async () => {
    const dir = tmpDir('opt-cli-fjson-');
    const file = join(dir, 's.jsonl');
    writeFileSync(file, ev(1));
    const p = new CliProcess(['logs', 's', '--dir', dir, '--follow', '--poll-interval', '50', '--format', 'json']);
    await p.waitFor(/"e1"/);
    appendFileSync(file, ev(2));
    await p.waitFor(/"e2"/);
    expect((await p.stop('SIGINT')).code).toBe(0);
    expect((JSON.parse(p.stdout) as { id: string }[]).map((o) => o.id)).toEqual(['e1', 'e2']);
  });

  it('--follow with --limit stops by itself after N lines (exit 0)', async () => {
    const dir = tmpDir('opt-cli-flimit-');
    const file = join(dir, 's.jsonl');
    writeFileSync(file, ev(1));
    const p = follow(dir, '--limit', '2');
    await p.waitFor(/"e1"/);
    appendFileSync(file, ev(2) + ev(3));
    const exit = await p.wait();
    expect(exit.code).toBe(0);
    expect(ids(p.stdout)).toEqual(['e1', 'e2']);
  });
});
