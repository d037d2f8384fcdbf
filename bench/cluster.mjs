// Several collectors on one ClickHouse (issue 16 item 3): aggregate ingest of 1, 2 and 3 collector processes (the CLI's
// `serve`, TELEMETRY_STORE=clickhouse, one table) under the same client load: --connections keep-alive connections
// spread over the collectors in use (connection i → collector i mod n, as a balancer pins them), each POSTing
// --events events per request (fresh UUIDv7 ids and times, as the uploader sends a backlog) to
// /api/v1/telemetry/upload for --seconds. Counted: events acknowledged as stored (200), events/s, and CPU seconds from
// /proc of the collectors, of ClickHouse and of this load generator — events per collector-CPU-second is what one
// collector costs; on a 2-core machine the load generator and ClickHouse compete with the collectors for the same
// cores, so events/s cannot grow with the number of collectors here. After each run the table must hold exactly the
// acknowledged events (uniqExact), then it is truncated. The variants alternate within each round (the order rotates
// per round); medians over the rounds with min-max.
// ClickHouse: TELEMETRY_CLICKHOUSE_URL if set (its CPU is then not measured), else a throw-away clickhouse-server.
// Run: node bench/cluster.mjs [--seconds 5] [--rounds 3] [--connections 8] [--events 1000] [--collectors 1,2,3]
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { register } from 'tsx/esm/api';

register();
const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '8' },
    events: { type: 'string', default: '1000' },
    collectors: { type: 'string', default: '1,2,3' },
    warmup: { type: 'string', default: '2' },
  },
});
const SECONDS = Number(args.seconds);
const ROUNDS = Number(args.rounds);
const CONNECTIONS = Number(args.connections);
const PER_REQUEST = Number(args.events);
const VARIANTS = args.collectors.split(',').map(Number);
const WARMUP = Number(args.warmup);
const MAX = Math.max(...VARIANTS);

const server = await import('../test/clickhouse/server.ts');
const { startCollectorProcess, stopCollectorProcess, cpuSecondsOf } = await import('../test/clickhouse/collectorProcess.ts');
const { uuidv7 } = await import('../core/id.ts');

const FAILURES = ['service_crashed', 'dependency_unreachable', 'migration_failed', 'health_check_failed'];
const T0 = Date.UTC(2025, 0, 1);
let counter = 0;
/** The next request body: PER_REQUEST events of 5 scenarios, 2% failures, times 1 ms apart, fresh client ids. */
function nextBody() {
  const events = new Array(PER_REQUEST);
  for (let i = 0; i < PER_REQUEST; i++) {
    const k = counter++;
    const ts = T0 + k;
    const failure = k % 50 === 7;
    events[i] = {
      scenario: `scenario-${k % 5}`,
      event: failure ? FAILURES[k % FAILURES.length] : k % 3 === 0 ? 'app_start' : 'page_view',
      timestamp: new Date(ts).toISOString(),
      deployment_id: `deploy-${k % 7}`,
      details: failure ? { error: `failure ${k}`, attempt: k % 5 } : { version: '1.0.0', platform: 'linux-x64', startup_ms: 5000 + (k % 1000) },
      id: uuidv7(ts),
    };
  }
  return JSON.stringify(events);
}

// A fresh keep-alive agent per run: a socket left idle between runs may be closed by the collector's keep-alive
// timeout just as it is reused ("socket hang up"), a client artefact that is not what is measured.
let agent;
function post(base, body) {
  return new Promise((resolve) => {
    const u = new URL('/api/v1/telemetry/upload', base);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', (err) => resolve({ status: 0, text: err.message }));
    req.end(body);
  });
}

async function clickhouse(url, sql) {
  const u = new URL(url);
  u.searchParams.set('query', sql);
  const res = await fetch(u, { method: 'POST' });
  const text = await res.text();
  if (!res.ok) throw new Error(`ClickHouse ${res.status}: ${text}`);
  return text.trim();
}

/** INSERT statements ClickHouse has run so far (all tables: the events and the store's rollup). */
async function insertCount(url) {
  return Number(await clickhouse(url, "SELECT value FROM system.events WHERE event = 'InsertQuery'"));
}

/** One run: `n` collectors, CONNECTIONS connections, `seconds`. */
async function run(collectors, n, seconds, clickhousePid, url, table) {
  const used = collectors.slice(0, n);
  const cpu0 = used.map((c) => cpuSecondsOf(c.pid));
  const ch0 = clickhousePid ? cpuSecondsOf(clickhousePid) : 0;
  const inserts0 = await insertCount(url);
  agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const self0 = process.cpuUsage();
  const started = performance.now();
  const end = started + seconds * 1000;
  let stored = 0;
  let failed = 0;
  let requests = 0;
  /** Failed requests by status (0 = network error), with the first answer of each: a failure is reported, not hidden. */
  const failures = new Map();
  const worker = async (w) => {
    const target = used[w % n].url;
    while (performance.now() < end) {
      const r = await post(target, nextBody());
      requests++;
      if (r.status === 200) stored += JSON.parse(r.text).events_stored;
      else {
        failed++;
        const f = failures.get(r.status) ?? { n: 0, first: r.text.slice(0, 200) };
        f.n++;
        failures.set(r.status, f);
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, w) => worker(w)));
  const wall = (performance.now() - started) / 1000;
  agent.destroy();
  const self = process.cpuUsage(self0);
  const collectorCpu = used.reduce((a, c, i) => a + cpuSecondsOf(c.pid) - cpu0[i], 0);
  const clickhouseCpu = clickhousePid ? cpuSecondsOf(clickhousePid) - ch0 : NaN;
  const loadCpu = (self.user + self.system) / 1e6;
  // Acknowledged = stored: the table holds exactly what was acknowledged (the table was empty before the run).
  const inserts = (await insertCount(url)) - inserts0;
  const inTable = Number(await clickhouse(url, `SELECT uniqExact(scenario, ts_ms, id) FROM ${table}`));
  if (inTable !== stored) throw new Error(`${n} collector(s): ${stored} events acknowledged but ${inTable} in the table`);
  await clickhouse(url, `TRUNCATE TABLE ${table}`);
  return { n, insertsPer1k: (inserts / stored) * 1000, rate: stored / wall, perCollectorCpu: stored / collectorCpu, perAllCpu: stored / (collectorCpu + (clickhousePid ? clickhouseCpu : 0) + loadCpu), collectorCores: collectorCpu / wall, clickhouseCores: clickhouseCpu / wall, loadCores: loadCpu / wall, failed, requests, failures };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (v) => Math.round(v).toLocaleString('en');

let started;
let url = process.env.TELEMETRY_CLICKHOUSE_URL;
const collectors = [];
const dirs = [];
try {
  if (!url) {
    const bin = server.findClickHouseBinary();
    if (!bin) throw new Error('clickhouse-server is not installed (apt-get install -y clickhouse-server clickhouse-client), and TELEMETRY_CLICKHOUSE_URL is unset');
    started = await server.startClickHouseServer(bin);
    url = started.url;
  }
  const clickhousePid = started?.child.pid;
  const database = `bench_cluster_${process.pid}`;
  const table = `${database}.events`;
  const env = { TELEMETRY_STORE: 'clickhouse', TELEMETRY_CLICKHOUSE_URL: url, TELEMETRY_CLICKHOUSE_DATABASE: database, TELEMETRY_CLICKHOUSE_TABLE: 'events' };
  for (let i = 0; i < MAX; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'opt-bench-cluster-'));
    dirs.push(dir);
    // One at a time: the first creates the schema; the test covers collectors racing on it.
    collectors.push(await startCollectorProcess({ ...env, TELEMETRY_DIR: dir }));
  }
  console.log(
    `${MAX} collectors (serve, TELEMETRY_STORE=clickhouse) on one ClickHouse at ${url}; ${CONNECTIONS} connections, ${PER_REQUEST} events per request, ` +
      `${SECONDS} s per run, ${ROUNDS} rounds (variants alternate, order rotates), ${WARMUP} s warm-up`,
  );
  console.log('this machine has 2 cores: the load generator and ClickHouse compete with the collectors for them (CPU columns below)');
  console.log(`load average at the start: ${loadavg().map((x) => x.toFixed(1)).join(' ')} (other work on the machine takes cores too)`);
  if (WARMUP > 0) await run(collectors, MAX, WARMUP, clickhousePid, url, table);
  const results = new Map(VARIANTS.map((n) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) {
    const order = VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length]);
    for (const n of order) {
      const res = await run(collectors, n, SECONDS, clickhousePid, url, table);
      results.get(n).push(res);
      console.log(`  round ${r + 1}, ${n} collector(s): ${fmt(res.rate)} events/s, ${fmt(res.perCollectorCpu)} events per collector-CPU-s, ${res.failed} failed requests of ${res.requests}${[...res.failures].map(([status, f]) => `; ${f.n} x ${status}: ${f.first}`).join('')}`);
    }
  }
  const base = median(results.get(VARIANTS[0]).map((x) => x.rate));
  const baseCpu = median(results.get(VARIANTS[0]).map((x) => x.perCollectorCpu));
  const head = ['collectors', 'events/s median [min-max]', 'ratio', 'events/collector-CPU-s [min-max]', 'ratio', 'events/CPU-s all', 'cores: collectors', 'ClickHouse', 'load gen', 'INSERTs per 1k events'];
  console.log(`\n${head.join(' | ')}`);
  for (const n of VARIANTS) {
    const xs = results.get(n);
    const rates = xs.map((x) => x.rate);
    const cpus = xs.map((x) => x.perCollectorCpu);
    const m = median(rates);
    const mc = median(cpus);
    console.log(
      [
        n,
        `${fmt(m)} [${fmt(Math.min(...rates))}-${fmt(Math.max(...rates))}]`,
        (m / base).toFixed(2),
        `${fmt(mc)} [${fmt(Math.min(...cpus))}-${fmt(Math.max(...cpus))}]`,
        (mc / baseCpu).toFixed(2),
        fmt(median(xs.map((x) => x.perAllCpu))),
        median(xs.map((x) => x.collectorCores)).toFixed(2),
        clickhousePid ? median(xs.map((x) => x.clickhouseCores)).toFixed(2) : 'n/a',
        median(xs.map((x) => x.loadCores)).toFixed(2),
        median(xs.map((x) => x.insertsPer1k)).toFixed(2),
      ].join(' | '),
    );
  }
  console.log(`\nratios against ${VARIANTS[0]} collector(s) in the same run; every run's table held exactly the acknowledged events; load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  await clickhouse(url, `DROP DATABASE IF EXISTS ${database}`);
} finally {
  agent?.destroy();
  await Promise.all(collectors.map((c) => stopCollectorProcess(c)));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  if (started) await server.stopClickHouseServer(started);
}
