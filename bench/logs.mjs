// Benchmark: `logs <scenario> --search x --format jsonl` over a generated 1,000,000-line JSONL file, against
// `grep -c x` on the same file in the same run. Prints lines/s for both and the ratio (target: within 5x of grep),
// the share of matching lines (the CLI validates and prints those, grep counts them), the CLI's load time and peak
// RSS. The CLI is timed with its output to /dev/null and into a pipe, and with and without NODE_EXTRA_CA_CERTS when
// it is set (see below).
//
//   node bench/logs.mjs                      # 1,000,000 lines, needle "x", 11 rounds, median
//   BENCH_LINES=200000 BENCH_ROUNDS=1 node bench/logs.mjs     # a quick smoke run
//   BENCH_NEEDLE=timeout node bench/logs.mjs # another search term
//
// Runs the built CLI (dist/cli.cjs) when it exists, else the sources through tsx (slower start-up; said in the output).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, createWriteStream, existsSync, fsyncSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const LINES = Number(process.env.BENCH_LINES ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 11);
const NEEDLE = process.env.BENCH_NEEDLE ?? 'x';
const built = join(ROOT, 'dist', 'cli.cjs');
const cli = process.env.BENCH_CLI ? [resolve(process.env.BENCH_CLI)] : existsSync(built) && !process.env.BENCH_FROM_SOURCE ? [built] : ['--import', 'tsx', join(ROOT, 'cli', 'main.ts')];

const dir = mkdtempSync(join(tmpdir(), 'opt-bench-logs-'));
if (!process.env.BENCH_KEEP) process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
else console.log(`keeping ${dir}`);
const file = join(dir, 'bench.jsonl');

/** Lines shaped like real deployment telemetry: a lifecycle mix, platform only on app_start, uuid-like ids. */
async function generate() {
  const events = ['app_start', 'ready', 'service_started', 'service_stopped', 'migration_started', 'migration_completed', 'update_check_started', 'dependency_unreachable', 'shutdown', 'health_check_failed'];
  const platforms = ['linux-x64', 'win-x64', 'darwin-arm64'];
  const services = ['api', 'worker', 'sqlite', 'redis', 'scheduler'];
  const out = createWriteStream(file);
  let chunk = '';
  const t0 = Date.UTC(2025, 0, 15);
  for (let i = 0; i < LINES; i++) {
    const event = events[i % events.length];
    let details;
    if (event === 'app_start') details = { version: '1.4.2', platform: platforms[i % 3], mode: 'desktop' };
    else if (event === 'dependency_unreachable') details = { service_id: services[i % 5], dependency: 'sqlite', reason: 'connection timeout' };
    else if (event === 'health_check_failed') details = { service_id: services[i % 5], check_type: 'http', error: 'status 503' };
    else details = { service_id: services[i % 5], pid: 1000 + (i % 5000), uptime_ms: i * 7 };
    const id = `0194${(i >>> 0).toString(16).padStart(8, '0')}-7abc-8def-0123-456789abcdef`.slice(0, 36);
    chunk += `{"ts":"${new Date(t0 + i * 1000).toISOString()}","scenario":"bench","deployment_id":"deploy-${i % 97}","event":"${event}","details":${JSON.stringify(details)},"id":"${id}"}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
      chunk = '';
    }
  }
  out.end(chunk);
  await new Promise((r, j) => out.on('close', r).on('error', j));
  // Flush the new file to disk before timing: otherwise the kernel writes its 200 MB back during the runs.
  const fd = openSync(file, 'r+');
  fsyncSync(fd);
  closeSync(fd);
}

// grep always writes into a pipe read here (GNU grep notices a /dev/null output and may stop at the first match).
// The CLI is timed both ways: its 14 MB of output into a pipe read by this process (as in `cmd | wc -l`; the reader
// shares the machine's two cores), and into /dev/null (as hyperfine runs commands), which is the CLI's own cost.
const devNull = openSync('/dev/null', 'w');
function timeRun(cmd, args, env = {}, toDevNull = false) {
  return new Promise((resolvePromise, reject) => {
    const t = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', toDevNull ? devNull : 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stderr = '';
    let bytes = 0;
    child.stdout?.on('data', (d) => (bytes += d.length));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      if (code !== 0 && !(cmd === 'grep' && code === 1)) reject(new Error(`${cmd} exited ${code}: ${stderr}`));
      else resolvePromise({ ms, stderr, bytes });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

await generate();
const size = statSync(file).size;
const grepCount = Number(spawnSync('grep', ['-c', '--', NEEDLE, file], { encoding: 'utf8' }).stdout.trim());
const check = spawnSync(process.execPath, [...cli, 'logs', 'bench', '--dir', dir, '--search', NEEDLE, '--format', 'jsonl'], { cwd: ROOT, maxBuffer: 1 << 30 });
const cliCount = check.stdout.toString('utf8').split('\n').filter((l) => l.length > 0).length;
console.log(`file: ${LINES.toLocaleString('en')} lines, ${(size / 1048576).toFixed(0)} MiB; needle ${JSON.stringify(NEEDLE)} on ${grepCount.toLocaleString('en')} lines (${((100 * grepCount) / LINES).toFixed(1)}%); CLI ${cli.length === 1 ? cli[0].slice(ROOT.length + 1) : 'from source via tsx'}`);
if (cliCount !== grepCount) console.log(`note: the CLI found ${cliCount} lines, grep ${grepCount} (the CLI searches only event names and details)`);

// NODE_EXTRA_CA_CERTS makes Node read and parse that certificate bundle while it starts, before any of our code runs
// (this sandbox sets it to the system bundle for its registry proxy: ~80 ms per node process here). The CLI is timed
// both with the environment as given and without that variable, with `node -e 0` in both as the floor.
const envs = [['as given', {}]];
if (process.env.NODE_EXTRA_CA_CERTS) envs.push(['without NODE_EXTRA_CA_CERTS', { NODE_EXTRA_CA_CERTS: '' }]);

const grepMs = [];
const runs = envs.map(() => ({ pipe: [], null: [], node: [], ready: [], rss: [] }));
const cliArgs = [...cli, 'logs', 'bench', '--dir', dir, '--search', NEEDLE, '--format', 'jsonl'];
for (let r = 0; r < ROUNDS; r++) {
  grepMs.push((await timeRun('grep', ['-c', '--', NEEDLE, file])).ms);
  for (const [i, [, env]] of envs.entries()) {
    const run = await timeRun(process.execPath, cliArgs, { ...env, OPT_CLI_REPORT_RSS: '1' });
    runs[i].pipe.push(run.ms);
    const rss = /max-rss-kb (\d+)/.exec(run.stderr)?.[1];
    if (rss) runs[i].rss.push(Number(rss));
    const quiet = await timeRun(process.execPath, cliArgs, { ...env, OPT_CLI_REPORT_RSS: '1' }, true);
    runs[i].null.push(quiet.ms);
    const ready = /ready-ms ([\d.]+)/.exec(quiet.stderr)?.[1];
    if (ready) runs[i].ready.push(Number(ready));
    runs[i].node.push((await timeRun(process.execPath, ['-e', '0'], env)).ms);
  }
}
const g = median(grepMs);
const rate = (ms) => Math.round(LINES / (ms / 1000)).toLocaleString('en');
const verdict = (x) => `${x.toFixed(2)}x grep (target <= 5x: ${x <= 5 ? 'OK' : 'ABOVE'})`;
console.log(`grep -c ${NEEDLE}:  ${g.toFixed(0)} ms  ${rate(g)} lines/s (median of ${ROUNDS})`);
for (const [i, [name]] of envs.entries()) {
  const run = runs[i];
  const p = median(run.pipe);
  const q = median(run.null);
  const n = median(run.node);
  console.log(`logs --search ${NEEDLE} --format jsonl, environment ${name} (medians of ${ROUNDS}, process start included):`);
  console.log(`  output to /dev/null:           ${q.toFixed(0)} ms  ${rate(q)} lines/s  ${verdict(q / g)}`);
  console.log(`  output into a pipe read here:  ${p.toFixed(0)} ms  ${rate(p)} lines/s  ${verdict(p / g)}`);
  const ready = run.ready.length > 0 ? median(run.ready) : undefined;
  console.log(`  floor: \`node -e 0\` takes ${n.toFixed(0)} ms (${(n / g).toFixed(2)}x grep)` + (ready === undefined ? '' : `; the CLI is loaded at ${ready.toFixed(0)} ms and reads, filters and prints (to /dev/null) in the remaining ~${Math.max(0, q - ready).toFixed(0)} ms`));
  if (run.rss.length > 0) console.log(`  peak RSS: ${(median(run.rss) / 1024).toFixed(0)} MiB`);
}
if (envs.length > 1) console.log(`NODE_EXTRA_CA_CERTS is set here (${process.env.NODE_EXTRA_CA_CERTS}): Node parses that bundle at every start, so \`node -e 0\` alone costs ${median(runs[0].node).toFixed(0)} ms instead of ${median(runs[1].node).toFixed(0)} ms.`);
