// Insights benchmark (issue 14): the JSONL store's insights rollups over --events stored events (3 scenarios, 30 days
// ending now, 5,000 installations, versions/platforms in details), and the collector's ingest with rollups on vs off.
//   query    latency of store.insights() per query (bucket day/hour/week/minute x by event/version/level/platform/
//            deployment_id over the whole range, and a details key that is not rolled up: a scan), --repeat runs per
//            query, the queries interleaved; median and min-max. Target < 20 ms on the rollups.
//   rebuild  time to open the store over the stored events (summaries + id window + rollups) vs a store with
//            `insightsRollups: false` on the same files (the summaries alone), interleaved rounds, median and min-max.
//   memory   heap held by the rollups: heapUsed after GC with the store open with rollups minus without.
//   addEvent the rollups' cost per appended event in isolation (InsightsBook.addEvent over the same events).
//   ingest   the collector over HTTP (autocannon, 100 events of one installation per upload, with details, --connections),
//            one child process per run with rollups on or off, --rounds interleaved rounds (order alternates): events/s
//            median and min-max, server CPU per event, and the on/off ratio. Target: within 10% (ratio >= 0.9).
//   clickhouse the same queries on a ClickHouseStore holding the same events, when clickhouse-server is installed
//            (started as the tests do) or TELEMETRY_CLICKHOUSE_URL is set; answers compared with the JSONL store's.
//            Target < 200 ms.
// Run: node bench/insights.mjs [--events 1000000] [--repeat 15] [--rounds 5] [--seconds 5] [--connections 10]
//        [--skip ingest,clickhouse]
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { register } from 'tsx/esm/api';

register();
const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    repeat: { type: 'string', default: '15' },
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
    skip: { type: 'string', default: '' },
    child: { type: 'string' },
    dir: { type: 'string' },
  },
});

// ---- child: the heap a store holds once open, with rollups on or off (a fresh process per measurement) ----
if (args.child === 'heap-on' || args.child === 'heap-off') {
  setFlagsFromString('--expose-gc');
  const gcChild = runInNewContext('gc');
  const { JsonlStore } = await import('../collector/stores/JsonlStore.ts');
  gcChild();
  const before = process.memoryUsage().heapUsed;
  const store = new JsonlStore({ dir: args.dir, insightsRollups: args.child === 'heap-on' });
  const t0 = performance.now();
  await store.open();
  const openMs = performance.now() - t0;
  gcChild();
  gcChild();
  process.send({ heap: process.memoryUsage().heapUsed - before, openMs });
  await store.close();
  process.exit(0);
}

// ---- child: one collector with rollups on or off (the ingest part) ----
if (args.child !== undefined) {
  const { startCollector } = await import('../collector/index.ts');
  const { JsonlStore } = await import('../collector/stores/JsonlStore.ts');
  const store = new JsonlStore({ dir: args.dir, insightsRollups: args.child === 'on' });
  const c = await startCollector({ port: 0, host: '127.0.0.1', dir: args.dir, env: {}, customStore: store });
  process.send({ url: c.url });
  process.on('message', async (m) => {
    if (m === 'stop') {
      await c.close();
      process.exit(0);
    }
  });
  await new Promise(() => undefined);
}

const N = Number(args.events);
const REPEAT = Number(args.repeat);
const ROUNDS = Number(args.rounds);
const SECONDS = Number(args.seconds);
const CONNECTIONS = Number(args.connections);
const SKIP = new Set(args.skip.split(',').filter(Boolean));
const SCENARIOS = ['shop', 'picker', 'auth'];
const INSTALLATIONS = 5000;
const DAYS = 30;
const VERSIONS = ['1.0.0', '1.1.0', '1.2.0', '1.2.1', '2.0.0', '2.1.0'];
const PLATFORMS = ['linux', 'darwin', 'win32', 'freebsd'];
const EVENTS = ['app_start', 'app_stop', 'command', 'command', 'command', 'page_view', 'page_view', 'search', 'export', 'settings'];
const FAILURES = ['crash', 'migration_failed', 'dependency_unreachable'];

const { JsonlStore } = await import('../collector/stores/JsonlStore.ts');
const { InsightsBook } = await import('../collector/stores/insights/InsightsBook.ts');
const { parseInsightsParams } = await import('../query/insights/params.ts');
const { uuidv7 } = await import('../core/id.ts');

const NOW = Date.now();
const START = NOW - DAYS * 86_400_000;
const STEP = (DAYS * 86_400_000) / N;
/** Stored events as the upload route hands them to the store, spread evenly over the 30 days before now. */
function batchAt(start, n) {
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const k = start + i;
    const ts = START + Math.floor(k * STEP);
    const inst = (k * 7919) % INSTALLATIONS;
    const failure = k % 50 === 7;
    out[i] = {
      scenario: SCENARIOS[k % 3],
      event: failure ? FAILURES[k % FAILURES.length] : EVENTS[k % EVENTS.length],
      timestamp: ts,
      deploymentId: `deploy-${k % 7}`,
      installationId: `00000000-0000-4000-8000-${String(inst).padStart(12, '0')}`,
      id: uuidv7(ts),
      severityNumber: k % 97 === 3 ? 13 : undefined,
      // An installation keeps its version and platform (as real ones do, mostly).
      details: { version: VERSIONS[inst % VERSIONS.length], platform: PLATFORMS[inst % PLATFORMS.length], startup_ms: 500 + (k % 1000), arch: inst % 2 ? 'x64' : 'arm64' },
    };
  }
  return out;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (xs, digits = 1) => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)})`;
const mb = (bytes) => `${(bytes / 1048576).toFixed(1)} MB`;

console.log(`insights benchmark: ${N.toLocaleString('en')} events, ${SCENARIOS.length} scenarios, ${DAYS} days ending now, ${INSTALLATIONS} installations; node ${process.version}; load average ${loadavg()[0].toFixed(2)}`);

// ---- write the events ----
const dir = mkdtempSync(join(tmpdir(), 'opt-bench-insights-'));
let t = performance.now();
{
  const store = new JsonlStore({ dir });
  await store.open();
  for (let k = 0; k < N; k += 1000) await store.append(batchAt(k, Math.min(1000, N - k)));
  await store.close();
}
console.log(`wrote ${N.toLocaleString('en')} events to ${dir} in ${((performance.now() - t) / 1000).toFixed(1)} s`);

// ---- addEvent alone ----
{
  const times = [];
  for (let r = 0; r < 3; r++) {
    const book = new InsightsBook();
    const batches = [];
    for (let k = 0; k < Math.min(N, 300_000); k += 1000) batches.push(batchAt(k, 1000));
    const t0 = process.cpuUsage();
    for (const b of batches) for (const e of b) book.addEvent(e.scenario, e);
    const used = process.cpuUsage(t0);
    times.push(((used.user + used.system) * 1000) / (batches.length * 1000));
  }
  console.log(`addEvent (rollups' cost per appended event, CPU): ${fmt(times, 0)} ns/event`);
}

// ---- rebuild at start, memory: each in a fresh child process, on and off interleaved ----
const opened = { on: [], off: [] };
const heap = { on: [], off: [] };
for (let r = 0; r < Math.max(3, Math.min(ROUNDS, 5)); r++) {
  for (const mode of r % 2 ? ['off', 'on'] : ['on', 'off']) {
    const child = fork(fileURLToPath(import.meta.url), ['--child', `heap-${mode}`, '--dir', dir], { stdio: 'inherit' });
    const m = await new Promise((resolve) => child.once('message', resolve));
    await new Promise((resolve) => child.once('exit', resolve));
    opened[mode].push(m.openMs);
    heap[mode].push(m.heap);
  }
}
console.log(`open (rebuild from the files, fresh process): rollups on ${fmt(opened.on, 0)} ms, off ${fmt(opened.off, 0)} ms; the rollups' share ${(median(opened.on) - median(opened.off)).toFixed(0)} ms`);
console.log(`heap held by the open store: rollups on ${mb(median(heap.on))} (${mb(Math.min(...heap.on))}-${mb(Math.max(...heap.on))}), off ${mb(median(heap.off))}; the rollups ${mb(median(heap.on) - median(heap.off))}`);

// ---- queries ----
// A scan budget above the files' size, so the not-rolled-up query is timed instead of refused (422 by default).
const store = new JsonlStore({ dir, insightsScanBytes: 1024 * 1024 * 1024 });
await store.open();
console.log('rollups:', JSON.stringify(store.rollups?.stats?.() ?? {}));
const QUERIES = [
  ['day / event', { from: '30d' }],
  ['day / version', { from: '30d', by: 'version' }],
  ['day / level', { from: '30d', by: 'level' }],
  ['hour / event', { from: '30d', bucket: 'hour' }],
  ['hour / version', { from: '30d', bucket: 'hour', by: 'version' }],
  ['hour / level', { from: '30d', bucket: 'hour', by: 'level' }],
  ['week / platform', { from: '30d', bucket: 'week', by: 'platform' }],
  ['day / deployment_id, event=command', { from: '30d', by: 'deployment_id', event: 'command' }],
  ['minute / event, last 24h', { from: '24h', bucket: 'minute' }],
  ['day / arch (not rolled up: scan)', { from: '30d', by: 'arch' }],
];
async function timeQueries(s, label, repeat) {
  const times = new Map(QUERIES.map(([name]) => [name, []]));
  const answers = new Map();
  for (let r = 0; r < repeat; r++) {
    for (const [name, p] of QUERIES) {
      if (name.includes('scan') && r >= 3) continue; // a scan of the whole file: three runs are enough
      const q = parseInsightsParams('shop', p, NOW);
      const t0 = performance.now();
      const a = await s.insights(q);
      times.get(name).push(performance.now() - t0);
      answers.set(name, a);
    }
  }
  console.log(`\n${label}: ms per query, median (min-max) of ${repeat} runs (scan: at most 3), one scenario of ${Math.round(N / 3).toLocaleString('en')} events`);
  for (const [name, xs] of times) if (xs.length > 0) console.log(`  ${name.padEnd(38)} ${fmt(xs, 2)}  [${answers.get(name).total_events} events, ${answers.get(name).buckets.length} buckets, ${answers.get(name).installations.count} installations]`);
  return answers;
}
const jsonlAnswers = await timeQueries(store, 'JSONL store (rollups)', REPEAT);
await store.close();

// ---- ingest: collector with rollups on vs off ----
if (!SKIP.has('ingest')) {
  const { default: autocannon } = await import('autocannon');
  // One upload = one installation's events (what an uploader sends), 3 scenarios, 100 events.
  const body = JSON.stringify(
    batchAt(0, 100).map((e, i) => ({
      scenario: e.scenario,
      event: e.event,
      deployment_id: e.deploymentId,
      installation_id: '00000000-0000-4000-8000-000000000042',
      timestamp: new Date(NOW - i * 1000).toISOString(),
      details: e.details,
    })),
  );
  const runs = { on: [], off: [] };
  const cpu = { on: [], off: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const mode of r % 2 ? ['off', 'on'] : ['on', 'off']) {
      const childDir = mkdtempSync(join(tmpdir(), 'opt-bench-ingest-'));
      const child = fork(fileURLToPath(import.meta.url), ['--child', mode, '--dir', childDir], { stdio: 'inherit' });
      const { url } = await new Promise((resolve) => child.once('message', resolve));
      const cpu0 = procCpuMs(child.pid);
      const result = await autocannon({ url: `${url}/api/v1/telemetry/upload`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: CONNECTIONS, duration: SECONDS });
      const cpu1 = procCpuMs(child.pid);
      const ok = result['2xx'];
      runs[mode].push((ok * 100) / SECONDS);
      if (cpu0 !== undefined && cpu1 !== undefined) cpu[mode].push(((cpu1 - cpu0) * 1000) / (ok * 100));
      child.send('stop');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(childDir, { recursive: true, force: true });
    }
  }
  console.log(`\ningest (collector, ${CONNECTIONS} connections, 100 events per upload, ${SECONDS} s x ${ROUNDS} interleaved rounds): events/s median (min-max)`);
  console.log(`  rollups on   ${fmt(runs.on, 0)}   server CPU ${cpu.on.length ? fmt(cpu.on, 2) : '?'} us/event`);
  console.log(`  rollups off  ${fmt(runs.off, 0)}   server CPU ${cpu.off.length ? fmt(cpu.off, 2) : '?'} us/event`);
  console.log(`  ratio on/off ${(median(runs.on) / median(runs.off)).toFixed(3)} (per-round ratios ${runs.on.map((x, i) => (x / runs.off[i]).toFixed(3)).join(', ')})`);
}

/** CPU ms of a process from /proc (user + system), or undefined. */
function procCpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return undefined;
  }
}

// ---- ClickHouse ----
if (!SKIP.has('clickhouse')) {
  const server = await import('../test/clickhouse/server.ts');
  const { ClickHouseStore } = await import('../collector/stores/clickhouse/ClickHouseStore.ts');
  let url = process.env.TELEMETRY_CLICKHOUSE_URL;
  let started;
  if (!url) {
    const bin = server.findClickHouseBinary();
    if (bin !== undefined) {
      started = await server.startClickHouseServer(bin);
      url = started.url;
    }
  }
  if (!url) console.log('\nClickHouse: skipped (no clickhouse-server and no TELEMETRY_CLICKHOUSE_URL)');
  else {
    const database = `bench_insights_${process.pid}`;
    const ch = new ClickHouseStore({ url, database, table: 'events', env: {} });
    await ch.open();
    t = performance.now();
    const inflight = [];
    for (let k = 0; k < N; k += 10_000) {
      inflight.push(ch.append(batchAt(k, Math.min(10_000, N - k))));
      if (inflight.length >= 4) await inflight.shift();
    }
    await Promise.all(inflight);
    console.log(`\nClickHouse: inserted ${N.toLocaleString('en')} events in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const chAnswers = await timeQueries(ch, 'ClickHouse store', Math.min(REPEAT, 5));
    let same = 0;
    for (const [name, a] of chAnswers) if (JSON.stringify(a) === JSON.stringify(jsonlAnswers.get(name))) same++;
    console.log(`  answers identical to the JSONL store's: ${same}/${chAnswers.size}`);
    await ch.close();
    await fetch(`${url}/?query=${encodeURIComponent(`DROP DATABASE IF EXISTS ${database}`)}`, { method: 'POST' }).catch(() => undefined);
    if (started) await server.stopClickHouseServer(started);
  }
}
rmSync(dir, { recursive: true, force: true });
