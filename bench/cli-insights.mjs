// Benchmark: `insights <scenario>` without --url (the reference scan over the files, query/insights/compute.ts) over a
// generated JSONL file of real-looking lines, against `summary <scenario>` (the collector's summary code scanning the
// same file: the same reader, one JSON.parse per line) in the same run as the baseline. Variants run interleaved,
// round after round; medians and min–max of wall time, CPU time (user+sys from /usr/bin/time) and peak RSS.
//
//   node bench/cli-insights.mjs                          # 1,000,000 lines over 30 days, 5,000 installations, 5 rounds
//   BENCH_LINES=200000 BENCH_ROUNDS=1 node bench/cli-insights.mjs    # a quick smoke run
//
// Runs the built CLI (dist/cli.cjs; `npm run build` first), or BENCH_CLI: a copy of the build elsewhere (e.g. cp -r dist
// /tmp/cli-copy, so a rebuild during the run does not pull the chunks away; node_modules are found through NODE_PATH).
import { spawn } from 'node:child_process';
import { closeSync, createWriteStream, existsSync, fsyncSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const LINES = Number(process.env.BENCH_LINES ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CLI = process.env.BENCH_CLI ? resolve(process.env.BENCH_CLI) : join(ROOT, 'dist', 'cli.cjs');
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: npm run build`);
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

const dir = mkdtempSync(join(tmpdir(), 'opt-bench-insights-cli-'));
if (!process.env.BENCH_KEEP) process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'bench.jsonl');
const T0 = Date.UTC(2025, 0, 1);
const SPAN = 30 * 86_400_000;

/** Lines as the pipeline writes them: 30 days, 5,000 installations, versions rolling out, platforms, failures. */
async function generate() {
  const events = ['app_start', 'command_run', 'command_run', 'command_run', 'export', 'ready', 'shutdown', 'migration_failed', 'dependency_unreachable', 'update_check_started'];
  const platforms = ['linux', 'darwin', 'win32'];
  const out = createWriteStream(file);
  let chunk = '';
  for (let i = 0; i < LINES; i++) {
    const t = T0 + Math.floor((i / LINES) * SPAN);
    const day = Math.floor((t - T0) / 86_400_000);
    const version = `1.${Math.min(5, Math.floor((day + (i % 7)) / 6))}.0`;
    const inst = `00000000-0000-4000-8000-${String((i * 7919) % 5000).padStart(12, '0')}`;
    const details = { version, platform: platforms[i % 3], ...(i % 5 === 0 ? { duration_ms: i % 1000 } : {}) };
    chunk += `{"ts":"${new Date(t).toISOString()}","scenario":"bench","installation_id":"${inst}","event":"${events[i % events.length]}","details":${JSON.stringify(details)},"id":"e${i}"}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
      chunk = '';
    }
  }
  out.end(chunk);
  await new Promise((r, j) => out.on('close', r).on('error', j));
  const fd = openSync(file, 'r+');
  fsyncSync(fd);
  closeSync(fd);
}

const devNull = openSync('/dev/null', 'w');
/** Wall ms, CPU ms (user+sys) and peak RSS (KiB) of one run, output to /dev/null. */
function timeRun(args) {
  return new Promise((resolvePromise, reject) => {
    const cmd = TIME ?? process.execPath;
    const argv = TIME ? ['-f', 'opt-bench %U %S %M', process.execPath, CLI, ...args] : [CLI, ...args];
    const t = process.hrtime.bigint();
    const child = spawn(cmd, argv, { cwd: ROOT, stdio: ['ignore', devNull, 'pipe'], env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules') } });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      if (code !== 0) return reject(new Error(`${args.join(' ')} exited ${code}: ${stderr}`));
      const m = /opt-bench ([\d.]+) ([\d.]+) (\d+)/.exec(stderr);
      resolvePromise({ ms, cpu: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN, rss: m ? Number(m[3]) : NaN });
    });
  });
}

const range = ['--since', '2025-01-01', '--until', '2025-01-31'];
const VARIANTS = [
  ['summary (baseline: same reader, same file)', ['summary', 'bench', '--dir', dir, '--format', 'json']],
  ['insights --by event --format json', ['insights', 'bench', '--dir', dir, ...range, '--format', 'json']],
  ['insights --by version --format json', ['insights', 'bench', '--dir', dir, ...range, '--by', 'version', '--format', 'json']],
  ['insights --by platform --bucket hour --format chart', ['insights', 'bench', '--dir', dir, ...range, '--by', 'platform', '--bucket', 'hour', '--format', 'chart']],
  ['insights --by version (table)', ['insights', 'bench', '--dir', dir, ...range, '--by', 'version']],
];

await generate();
console.log(`file: ${LINES.toLocaleString('en')} lines, ${(statSync(file).size / 1048576).toFixed(0)} MiB, 30 days, 5,000 installations; ${ROUNDS} rounds, variants interleaved; output to /dev/null`);
const results = VARIANTS.map(() => []);
for (let r = 0; r < ROUNDS; r++) {
  // Rotate the start so no variant always runs right after the file was (or was not) read by another.
  for (let k = 0; k < VARIANTS.length; k++) {
    const v = (k + r) % VARIANTS.length;
    results[v].push(await timeRun(VARIANTS[v][1]));
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs) => `${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
const base = median(results[0].map((x) => x.ms));
const baseCpu = median(results[0].map((x) => x.cpu));
for (const [i, [name]] of VARIANTS.entries()) {
  const wall = results[i].map((x) => x.ms);
  const cpu = results[i].map((x) => x.cpu);
  const rate = Math.round(LINES / (median(wall) / 1000)).toLocaleString('en');
  console.log(`${name.padEnd(52)} wall ${fmt(wall)}  ${rate} lines/s  ${(median(wall) / base).toFixed(2)}x summary | cpu ${TIME ? `${fmt(cpu)} ${(median(cpu) / baseCpu).toFixed(2)}x` : 'n/a'} | rss ${TIME ? `${(median(results[i].map((x) => x.rss)) / 1024).toFixed(0)} MiB` : 'n/a'}`);
}
