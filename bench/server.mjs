// Collector server benchmark (issues 3 and 16): autocannon drives POST /api/v1/telemetry/upload over loopback with 100
// events per request at 10 and 50 connections, against two raw node:http baselines in the same run:
//   raw          JSON.parses and appends the same lines with writeSync (no validation, no rules, no ids checked);
//   ack-after-write  JSON.parses, checks each event has a name, and answers only after one asynchronous fs.write per
//                scenario per request to {dir}/{scenario}.jsonl (lines with an id): the collector's durability promise
//                (acknowledged = written) at the least cost; the issue-16 target is collector >= 0.8x of it.
// Each server runs in its own child process (the load generator keeps the other core). The variants alternate within
// each round (the order rotates per round) and medians over the rounds are printed with min-max, p50/p99, peak RSS,
// server CPU per event, the ratios, and the stored lines counted afterwards (lost = acknowledged - stored).
// Run: node bench/server.mjs [--seconds 5] [--rounds 5] [--connections 10,50] [--events 100] [--warmup 1]
//        [--variants ours,raw,ackwrite] [--cpu-prof DIR] [--ref DIR]   (defaults: about 4 minutes in all)
// --ref DIR adds the variant `ref`: the collector of another checkout (DIR/collector/index.ts, e.g. an earlier commit
// from `git archive <commit> | tar -x -C DIR` with a node_modules symlink), interleaved with the others like them.
// --cpu-prof DIR starts each collector child with `node --cpu-prof --cpu-prof-dir=DIR` (one .cpuprofile per run);
// summarise with `node bench/profile-summary.mjs DIR`.
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const HERE = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    duration: { type: 'string' }, // the old name of --seconds
    connections: { type: 'string', default: '10,50' },
    events: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '5' },
    variants: { type: 'string', default: 'ours,raw,ackwrite' },
    'cpu-prof': { type: 'string' },
    ref: { type: 'string' },
  },
});
const ROUNDS = Number(args.rounds);
const DURATION = Number(args.duration ?? args.seconds);
const PROF_DIR = args['cpu-prof'] === undefined ? undefined : resolve(args['cpu-prof']);
if (PROF_DIR) mkdirSync(PROF_DIR, { recursive: true });
/** Variant name → the server-child mode and the label printed. */
const VARIANTS = { ours: { mode: 'ours', label: 'collector' }, raw: { mode: 'baseline', label: 'raw' }, ackwrite: { mode: 'ackwrite', label: 'ack-after-write' }, ref: { mode: 'ref', label: 'collector (ref)' } };
const REF_DIR = args.ref === undefined ? undefined : resolve(args.ref);
const WANTED = args.variants.split(',').map((v) => v.trim());
if (REF_DIR !== undefined && !WANTED.includes('ref')) WANTED.push('ref');
if (WANTED.includes('ref') && REF_DIR === undefined) throw new Error('variant ref needs --ref DIR');
for (const v of WANTED) if (!VARIANTS[v]) throw new Error(`unknown variant ${v}; known: ${Object.keys(VARIANTS).join(', ')}`);
const CONNECTIONS = args.connections.split(',').map(Number);
const PER_REQUEST = Number(args.events);
const WARMUP = Number(args.warmup);

// The events of the issue's example, 100 per request, two scenarios, timestamps given.
const body = JSON.stringify(
  Array.from({ length: PER_REQUEST }, (_, i) => ({
    scenario: i % 2 ? 'picker-wheel' : 'shared-auth',
    deployment_id: 'deploy-123',
    event: i % 10 === 9 ? 'dependency_unreachable' : 'app_start',
    timestamp: `2025-01-15T12:00:${String(i % 60).padStart(2, '0')}Z`,
    details: { version: '1.0.0', platform: 'win-x64', startup_ms: 5000 + i },
  })),
);

function countLines(dir) {
  let n = 0;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.jsonl')) continue;
    const buf = readFileSync(join(dir, f));
    for (let i = 0; i < buf.length; i++) if (buf[i] === 10) n++;
  }
  return n;
}

function startChild(mode, dir) {
  const prof = PROF_DIR && mode === 'ours' ? ['--cpu-prof', `--cpu-prof-dir=${PROF_DIR}`] : [];
  const child = fork(join(HERE, 'server-child.mjs'), [mode, dir, ...(mode === 'ref' ? [REF_DIR] : [])], { execArgv: [...prof, '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = () => new Promise((resolve) => child.once('message', resolve));
  return { child, next };
}

function cannon(url, connections, duration) {
  return autocannon({ url: `${url}/api/v1/telemetry/upload`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections, duration });
}

async function run(mode, connections) {
  const dir = mkdtempSync(join(tmpdir(), `bench-server-${mode}-`));
  const { child, next } = startChild(mode, dir);
  const { url } = await next();
  if (WARMUP > 0) await cannon(url, connections, WARMUP);
  const before = countLines(dir);
  child.send('mark');
  const r = await cannon(url, connections, DURATION);
  child.send('report');
  const { peakRss, cpuMicros } = await next();
  child.send('stop');
  await new Promise((resolve) => child.once('exit', resolve));
  const stored = countLines(dir) - before;
  rmSync(dir, { recursive: true, force: true });
  const ok = r['2xx'];
  return {
    eps: (ok * PER_REQUEST) / r.duration,
    // Server CPU per stored event (includes requests still in flight at the stop, which were stored too).
    cpuPerEvent: cpuMicros / Math.max(1, stored),
    p50: r.latency.p50,
    p99: r.latency.p99,
    peakRss,
    acknowledged: ok * PER_REQUEST,
    stored,
    failed: r.non2xx + r.errors + r.timeouts,
  };
}

const k = (x) => `${(x / 1000).toFixed(1)}k`;
const mb = (b) => `${(b / 1048576).toFixed(0)} MB`;
const x2 = (r) => `${r.toFixed(2)}x`;
console.log(
  `# collector server bench: ${PER_REQUEST} events/request (${(body.length / 1024).toFixed(1)} KiB), ${DURATION} s per run after ${WARMUP} s warm-up, ` +
    `${ROUNDS} round(s), variants ${WANTED.join(', ')} alternating, loopback${PROF_DIR ? `, collector under --cpu-prof (${PROF_DIR})` : ''}`,
);
const median = (xs) => {
  const a = [...xs].sort((p, q) => p - q);
  return a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
};
const range = (xs) => [Math.min(...xs), Math.max(...xs)];
/** Medians over rounds of the figures (with min-max); counts are summed, so lost/failed cover every round. */
function combine(runs) {
  const m = (key) => median(runs.map((r) => r[key]));
  const sum = (key) => runs.reduce((n, r) => n + r[key], 0);
  return {
    runs,
    eps: m('eps'),
    epsRange: range(runs.map((r) => r.eps)),
    cpuPerEvent: m('cpuPerEvent'),
    p50: m('p50'),
    p99: m('p99'),
    p99Range: range(runs.map((r) => r.p99)),
    peakRss: Math.max(...runs.map((r) => r.peakRss)),
    acknowledged: sum('acknowledged'),
    stored: sum('stored'),
    failed: sum('failed'),
  };
}
/** Ratio a/b of the medians, and min-max of the per-round ratios (runs of one round are neighbours in time). */
function ratio(a, b) {
  const per = a.runs.map((r, i) => r.eps / b.runs[i].eps);
  const [lo, hi] = range(per);
  return { median: a.eps / b.eps, lo, hi, cpu: b.cpuPerEvent / a.cpuPerEvent };
}
const rows = [];
for (const c of CONNECTIONS) {
  const runs = Object.fromEntries(WANTED.map((v) => [v, []]));
  for (let r = 0; r < ROUNDS; r++) {
    // Rotate the order each round so no variant always runs first (after a pause) or last.
    for (let j = 0; j < WANTED.length; j++) {
      const v = WANTED[(j + r) % WANTED.length];
      runs[v].push(await run(VARIANTS[v].mode, c));
    }
  }
  const res = Object.fromEntries(WANTED.map((v) => [v, combine(runs[v])]));
  rows.push({ c, res });
  for (const v of WANTED) {
    const x = res[v];
    console.log(
      `  ${String(c).padStart(3)} conn  ${VARIANTS[v].label.padEnd(15)} ${k(x.eps).padStart(7)} events/s (min-max ${k(x.epsRange[0])}-${k(x.epsRange[1])})  ` +
        `p50 ${x.p50} ms  p99 ${x.p99} ms (${x.p99Range[0]}-${x.p99Range[1]})  peak RSS ${mb(x.peakRss)}  server CPU ${x.cpuPerEvent.toFixed(2)} µs/event  ` +
        `acknowledged ${x.acknowledged}  stored ${x.stored}  lost ${Math.max(0, x.acknowledged - x.stored)}  failed requests ${x.failed}`,
    );
  }
  const ours = res.ours;
  if (ours && res.ackwrite) {
    const q = ratio(ours, res.ackwrite);
    console.log(
      `  ${String(c).padStart(3)} conn  collector / ack-after-write ${x2(q.median)} events/s (per round ${x2(q.lo)}-${x2(q.hi)}; target >= 0.8x), ` +
        `${x2(q.cpu)} by server CPU per event${c >= 50 ? `; collector p99 ${ours.p99} ms (target < 50 ms), ack-after-write p99 ${res.ackwrite.p99} ms` : ''}`,
    );
  }
  if (ours && res.ref) {
    const q = ratio(ours, res.ref);
    console.log(`  ${String(c).padStart(3)} conn  collector / collector (ref) ${x2(q.median)} events/s (per round ${x2(q.lo)}-${x2(q.hi)}), ${x2(q.cpu)} by server CPU per event`);
  }
  if (res.ref && res.ackwrite) {
    const q = ratio(res.ref, res.ackwrite);
    console.log(`  ${String(c).padStart(3)} conn  collector (ref) / ack-after-write ${x2(q.median)} events/s (per round ${x2(q.lo)}-${x2(q.hi)}), ${x2(q.cpu)} by server CPU per event`);
  }
  if (ours && res.raw) {
    const q = ratio(ours, res.raw);
    console.log(`  ${String(c).padStart(3)} conn  collector / raw ${x2(q.median)} events/s (per round ${x2(q.lo)}-${x2(q.hi)}; target >= 0.65x), ${x2(q.cpu)} by server CPU per event`);
  }
}
// Lost = acknowledged (2xx) but not in the files. Stored may exceed acknowledged by the requests in flight when
// autocannon stopped (at most connections x events per request per run): they were stored, their answers not counted.
const checked = WANTED.filter((v) => v !== 'raw');
const allOk = rows.every((r) => checked.every((v) => {
  const x = r.res[v];
  return x.failed === 0 && x.stored >= x.acknowledged && x.stored - x.acknowledged <= r.c * PER_REQUEST * 2 * ROUNDS;
}));
console.log(`no failed or lost events (${checked.map((v) => VARIANTS[v].label).join(', ')}): ${allOk ? 'yes' : 'NO'}`);
