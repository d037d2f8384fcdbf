// ClickHouse store benchmark (issue 8): the collector's two stores side by side in one run, on the same events.
//   ingest   events/s appending N events (batches of --batch events, as uploads arrive; --concurrency appends in
//            flight for ClickHouse, whose group commit merges them; the JSONL store is synchronous)
//   restart  time to open a store over the N stored events (JSONL rebuilds summaries and the id window from the files)
//   summary  latency of summaries() (all scenarios) and summary(one) with N stored events, median of --repeat
//   query    latency of the first 100 lines of one scenario for one event name
// The JSONL store is the baseline; the ratio is ClickHouse / JSONL (for latencies, > 1 means ClickHouse is slower).
// ClickHouse: TELEMETRY_CLICKHOUSE_URL if set, else a throw-away clickhouse-server is started (as the tests do).
// Run: node bench/clickhouse.mjs [--events 1000000] [--batch 1000] [--concurrency 8] [--repeat 5]
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { register } from 'tsx/esm/api';

register();
const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '8' },
    repeat: { type: 'string', default: '5' },
    scenarios: { type: 'string', default: '5' },
  },
});
const N = Number(args.events);
const BATCH = Number(args.batch);
const CONCURRENCY = Number(args.concurrency);
const REPEAT = Number(args.repeat);
const SCENARIOS = Number(args.scenarios);

const { JsonlStore } = await import('../collector/stores/JsonlStore.ts');
const { ClickHouseStore } = await import('../collector/stores/clickhouse/ClickHouseStore.ts');
const { uuidv7 } = await import('../core/id.ts');
const server = await import('../test/clickhouse/server.ts');

// Uploaded events as the collector's routes hand them to a store: client ids (UUIDv7, as the uploader assigns),
// 2% failures, a small details object, times one second apart.
const T0 = Date.UTC(2025, 0, 1);
const FAILURES = ['crash', 'dependency_unreachable', 'migration_failed', 'health_check_failed'];
function batchAt(start, n) {
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const k = start + i;
    const failure = k % 50 === 7;
    const ts = T0 + k * 1000;
    out[i] = {
      scenario: `scenario-${k % SCENARIOS}`,
      event: failure ? FAILURES[k % FAILURES.length] : k % 3 === 0 ? 'app_start' : 'page_view',
      timestamp: ts,
      deploymentId: `deploy-${k % 7}`,
      id: uuidv7(ts),
      details: failure ? { error: `failure ${k}`, attempt: k % 5 } : { version: '1.0.0', platform: 'linux-x64', startup_ms: 5000 + (k % 1000) },
    };
  }
  return out;
}

async function ingest(store, concurrency) {
  const started = performance.now();
  let next = 0;
  let stored = 0;
  const worker = async () => {
    while (next < N) {
      const start = next;
      const n = Math.min(BATCH, N - start);
      next += n;
      // Awaited before the +=: `stored += await ...` would read `stored` before the wait and lose other workers' counts.
      const r = await store.append(batchAt(start, n));
      stored += r.stored;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const s = (performance.now() - started) / 1000;
  if (stored !== N) throw new Error(`stored ${stored} of ${N}`);
  return N / s;
}

async function timeIt(fn, repeat = REPEAT) {
  const times = [];
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

async function firstLines(store) {
  let n = 0;
  for await (const _ of store.query({ scenario: 'scenario-1', event: 'page_view', limit: 100 })) n++;
  if (n !== Math.min(100, N)) throw new Error(`query returned ${n}`);
}

async function measure(name, make) {
  let store = make();
  await store.open();
  const ingestRate = await ingest(store, name === 'clickhouse' ? CONCURRENCY : 1);
  await store.close();
  const openStarted = performance.now();
  store = make();
  await store.open();
  const openMs = performance.now() - openStarted;
  const all = await store.summaries();
  const total = all.reduce((a, s) => a + s.total_events, 0);
  if (total !== N) throw new Error(`${name}: summaries count ${total} of ${N}`);
  const result = {
    ingest: ingestRate,
    open: openMs,
    summaries: await timeIt(() => store.summaries()),
    summary: await timeIt(() => store.summary('scenario-0')),
    query: await timeIt(() => firstLines(store)),
    summaryJson: JSON.stringify(all),
  };
  await store.close();
  return result;
}

const dir = mkdtempSync(join(tmpdir(), 'opt-bench-ch-'));
let started;
let url = process.env.TELEMETRY_CLICKHOUSE_URL;
try {
  if (!url) {
    const bin = server.findClickHouseBinary();
    if (!bin) throw new Error('clickhouse-server is not installed (apt-get install -y clickhouse-server clickhouse-client), and TELEMETRY_CLICKHOUSE_URL is unset');
    started = await server.startClickHouseServer(bin);
    url = started.url;
  }
  const database = `bench_${process.pid}`;
  console.log(`ClickHouse store vs JSONL store: ${N.toLocaleString('en')} events in batches of ${BATCH} (ClickHouse: ${CONCURRENCY} appends in flight), ${SCENARIOS} scenarios, ClickHouse at ${url}`);
  const jsonl = await measure('jsonl', () => new JsonlStore({ dir: join(dir, 'jsonl') }));
  const ch = await measure('clickhouse', () => new ClickHouseStore({ url, database, table: 'events', env: {} }));
  if (ch.summaryJson !== jsonl.summaryJson) throw new Error('the two stores disagree on the summaries');
  const bytes = readdirSync(join(dir, 'jsonl')).reduce((a, f) => a + statSync(join(dir, 'jsonl', f)).size, 0);

  const rows = [
    ['ingest (events/s)', jsonl.ingest, ch.ingest, (v) => Math.round(v).toLocaleString('en')],
    ['open / restart (ms)', jsonl.open, ch.open, (v) => v.toFixed(1)],
    ['summaries() (ms, median)', jsonl.summaries, ch.summaries, (v) => v.toFixed(2)],
    ['summary(one) (ms, median)', jsonl.summary, ch.summary, (v) => v.toFixed(2)],
    ['query 100 lines (ms, median)', jsonl.query, ch.query, (v) => v.toFixed(2)],
  ];
  console.log(`\n${'figure'.padEnd(30)}${'JSONL (baseline)'.padStart(18)}${'ClickHouse'.padStart(14)}${'ratio'.padStart(9)}`);
  for (const [label, base, value, fmt] of rows) console.log(`${label.padEnd(30)}${fmt(base).padStart(18)}${fmt(value).padStart(14)}${(value / base).toFixed(2).padStart(9)}`);
  console.log(`\nsummaries identical in both stores: yes (${SCENARIOS} scenarios, ${N.toLocaleString('en')} events; JSONL files ${(bytes / 1048576).toFixed(1)} MiB)`);
  const u = new URL(url);
  u.searchParams.set('query', `SELECT formatReadableSize(sum(bytes_on_disk)) FROM system.parts WHERE database = '${database}' AND active`);
  const size = await fetch(u, { method: 'POST' }).then((r) => r.text()).catch(() => '?');
  console.log(`ClickHouse table on disk: ${size.trim()}`);
  u.searchParams.set('query', `DROP DATABASE IF EXISTS ${database}`);
  await fetch(u, { method: 'POST' });
} finally {
  rmSync(dir, { recursive: true, force: true });
  if (started) await server.stopClickHouseServer(started);
}
