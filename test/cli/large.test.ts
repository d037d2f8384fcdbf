import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, createReadStream, createWriteStream, existsSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ROOT, tmpDir } from '../helpers.js';
import { CLI, cli, CliProcess, parseLines } from './cliProcess.js';

// Size of the generated file: 200 MB by default (CI); OPT_CLI_LARGE_MB=1024 for a local 1 GB-class run.
const MB = Number(process.env.OPT_CLI_LARGE_MB ?? 200);
const NEEDLE_EVERY = 50_000;
const TORN_AT = 123_457;

/** Write ~MB megabytes of pipeline-shaped lines; every NEEDLE_EVERY-th has "needle-7" in details; one torn line. */
function generate(file: string): number {
  const fd = openSync(file, 'w');
  let lines = 0;
  let chunk = '';
  let bytes = 0;
  try {
    while (bytes < MB * 1_000_000) {
      lines++;
      let text: string;
      if (lines === TORN_AT) text = '{"ts":"2025-01-15T12:00:00.000Z","scenario":"big","event":"rea';
      else {
        const details = lines % NEEDLE_EVERY === 0 ? `{"tag":"needle-7","n":${lines}}` : `{"service_id":"api","pid":${1000 + (lines % 5000)},"uptime_ms":${lines * 7}}`;
        text = `{"ts":"${new Date(Date.UTC(2025, 0, 15) + lines * 1000).toISOString()}","scenario":"big","deployment_id":"deploy-${lines % 97}","event":"service_started","details":${details},"id":"id-${lines}"}`;
      }
      chunk += text + '\n';
      if (chunk.length >= 1 << 20) {
        bytes += writeSync(fd, chunk);
        chunk = '';
      }
    }
    bytes += writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
  return lines;
}

function rssKb(stderr: string): number {
  const m = /max-rss-kb (\d+)/.exec(stderr);
  if (!m) throw new Error(`no RSS report in: ${stderr.slice(0, 500)}`);
  return Number(m[1]);
}

describe(`logs over a ${MB} MB file`, () => {
  it('scans in bounded memory: doubling the file does not raise peak RSS; torn line reported; --tail keeps only N', { timeout: 600_000 }, async () => {
    const dir = tmpDir('opt-cli-large-');
    const file = join(dir, 'big.jsonl');
    const total = generate(file);
    const size = statSync(file).size;
    expect(size).toBeGreaterThan(MB * 1_000_000 * 0.99);
    const needles = Math.floor(total / NEEDLE_EVERY);
    const env = { OPT_CLI_REPORT_RSS: '1' };

    const search = await cli(['logs', 'big', '--dir', dir, '--search', 'needle-7', '--format', 'jsonl'], env, 300_000);
    expect(search.code).toBe(0);
    expect(parseLines(search.stdout)).toHaveLength(needles);
    expect(search.stderr).toContain(`big.jsonl:${TORN_AT}: torn line (incomplete JSON object); line skipped`);
    const rss1 = rssKb(search.stderr);

    const tail = await cli(['logs', 'big', '--dir', dir, '--tail', '3', '--format', 'jsonl'], env, 300_000);
    expect(parseLines(tail.stdout).map((o) => o.id)).toEqual([`id-${total - 2}`, `id-${total - 1}`, `id-${total}`]);
    const rssTail = rssKb(tail.stderr);

    // Twice the data: a reader that held lines (or the file) would need about twice the memory.
    const copy = join(dir, 'copy.jsonl');
    copyFileSync(file, copy);
    await pipeline(createReadStream(copy), createWriteStream(file, { flags: 'a' }));
    rmSync(copy);
    const search2 = await cli(['logs', 'big', '--dir', dir, '--search', 'needle-7', '--format', 'jsonl'], env, 300_000);
    expect(parseLines(search2.stdout)).toHaveLength(2 * needles);
    expect(search2.stderr).toContain(`big.jsonl:${total + TORN_AT}: torn line`);
    const rss2 = rssKb(search2.stderr);
    const tail2 = await cli(['logs', 'big', '--dir', dir, '--tail', '3', '--format', 'jsonl'], env, 300_000);
    expect(parseLines(tail2.stdout).map((o) => o.id)).toEqual([`id-${total - 2}`, `id-${total - 1}`, `id-${total}`]);
    const rssTail2 = rssKb(tail2.stderr);

    // Ctrl-C stops a long scan early (exit 130, as shells report it). Reading of its output is paused while the
    // signal is sent, so the CLI cannot have finished the 400 MB before it sees the signal.
    const interrupted = new CliProcess(['logs', 'big', '--dir', dir, '--format', 'jsonl']);
    await interrupted.waitFor(/"id-1"/, 'stdout', 120_000);
    interrupted.child.stdout!.pause();
    interrupted.child.kill('SIGINT');
    interrupted.child.stdout!.resume();
    expect((await interrupted.wait()).code).toBe(130);
    expect(interrupted.stdout.length).toBeLessThan(statSync(file).size);
    interrupted.stdout = '';

    const MiB = 1024;
    console.log(`logs over ${(size / 1e6).toFixed(0)} MB: peak RSS ${(rss1 / MiB).toFixed(0)} MiB (search), ${(rssTail / MiB).toFixed(0)} MiB (tail); over twice the data: ${(rss2 / MiB).toFixed(0)} MiB (search), ${(rssTail2 / MiB).toFixed(0)} MiB (tail)`);
    // Peak RSS includes node and the tsx loader (~70-90 MiB on their own) and garbage V8 has not collected yet; the
    // file is 200+ MB, then 400+ MB. The telling check is the doubling: a reader holding data would need twice as much.
    expect(rss1).toBeLessThan(200 * MiB);
    expect(rssTail).toBeLessThan(200 * MiB);
    // The second file is 200+ MB larger: a reader holding it would grow by that much. 64 MiB of slack absorbs V8's
    // lazy collection (the --tail run once peaked 41 MiB higher on a loaded machine) and still fails such a reader.
    expect(rss2).toBeLessThan(rss1 + 64 * MiB);
    expect(rssTail2).toBeLessThan(rssTail + 64 * MiB);
    expect(rss2).toBeLessThan(size / 1024);

    // Cross-check from outside the process where GNU time exists (the kernel's peak RSS of the child).
    if (existsSync('/usr/bin/time')) {
      const r = spawnSync('/usr/bin/time', ['-v', process.execPath, '--import', 'tsx', CLI, 'logs', 'big', '--dir', dir, '--search', 'needle-7', '--format', 'jsonl'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
      const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
      if (m) expect(Number(m[1])).toBeLessThan(rss1 + 32 * MiB);
    }
  });
});
