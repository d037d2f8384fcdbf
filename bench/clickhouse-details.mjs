// ClickHouse insights by a details key (issue 14 item 2): what the details index costs at ingest and what it buys.
//   ingest    events/s appending N events into a fresh table, this tree (rows carry details_keys / details_values /
//             details_indexed) against an earlier tree without them (--before DIR: `git archive <commit> | tar -x -C
//             DIR` and a node_modules link), --rounds interleaved rounds (the order alternates), medians and min-max,
//             with CPU time per event of this process and of the ClickHouse server (when started here)
//   insights  latency of insights() by `version` and `platform`, day and hour buckets over the whole range, on this
//             tree's last table (indexed rows) and on the earlier tree's last table opened by this tree (rows of an
//             earlier release: the columns are added at open, its rows are grouped from their details text); median
//             and min-max of --repeat, alternating the queries; every answer is compared with computeInsights over the
//             store's own lines (the reference, and what the earlier tree answered by a details key)
// Events: --scenarios scenarios, --days days, --installations installations, 2% failures, details with version and
// platform (some events without, some with a nested `version`), client ids (UUIDv7), batches of --batch events.
// ClickHouse: TELEMETRY_CLICKHOUSE_URL if set, else a throw-away clickhouse-server is started (as the tests do).
// Run: node bench/clickhouse-details.mjs --before DIR [--events 1000000] [--rounds 3] [--batch 1000] [--concurrency 8] [--repeat 7]
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { register } from 'tsx/esm/api';
import { fmt, ingestInto, stats, storeBenchArgs, uploadedEvents } from './storeBench.mjs';

register();
const args = storeBenchArgs({ repeat: 7, scenarios: 3 });
if (args.before === undefined) throw new Error('--before DIR is required (a checkout of the tree to compare with)');
const { events: N, rounds: ROUNDS, batch: BATCH, concurrency: CONCURRENCY, repeat: REPEAT, scenarios: SCENARIOS, installations: INSTALLATIONS, days: DAYS } = args;

const { ClickHouseStore } = await import('../collector/stores/clickhouse/ClickHouseStore.ts');
const { ClickHouseStore: Before } = await import(join(resolve(args.before), 'collector/stores/clickhouse/ClickHouseStore.ts'));
const { computeInsights } = await import('../query/insights/compute.ts');
const { uuidv7 } = await import('../core/id.ts');
const server = await import('../test/clickhouse/server.ts');

const PLATFORMS = ['linux-x64', 'darwin-arm64', 'win32-x64', 'linux-arm64'];
// Uploaded events (storeBench.mjs) whose details vary by installation: version and platform, some events without
// details, failures with a nested `version` (not a top-level value: no group).
const { batchAt, T0 } = uploadedEvents(args, uuidv7, (k, inst, failure) =>
  failure
    ? { error: `failure ${k}`, attempt: k % 5, meta: { version: 'nested' } }
    : k % 17 === 0
      ? undefined
      : { version: `1.${(inst + Math.floor(k / 50_000)) % 9}.${inst % 3}`, platform: PLATFORMS[inst % 4], startup_ms: 5000 + (k % 1000), beta: inst % 5 === 0 },
);


async function sql(url, query) {
  const u = new URL(url);
  u.searchParams.set('query', query);
  const res = await fetch(u, { method: 'POST' });
  if (!res.ok) throw new Error(`${query}: ${res.status} ${await res.text()}`);
  return res.text();
}

const QUERIES = [];
for (const by of ['version', 'platform']) for (const bucket of ['day', 'hour']) QUERIES.push({ scenario: 'scenario-1', from: T0, to: T0 + DAYS * 86_400_000, bucket, by, top: 10 });
const label = (q) => `by ${q.by}, ${q.bucket} buckets`;

/** Latency of each query on a store (alternating the queries), answers checked against the reference scan. */
async function insightsOn(name, store) {
  const times = QUERIES.map(() => []);
  for (let i = 0; i < REPEAT; i++) {
    for (const [k, q] of QUERIES.entries()) {
      const t = performance.now();
      await store.insights(q);
      times[k].push(performance.now() - t);
    }
  }
  const lines = [];
  for await (const l of store.query({ scenario: 'scenario-1' })) lines.push(l);
  for (const q of QUERIES) {
    const [got, want] = [await store.insights(q), await computeInsights(q, lines)];
    if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${name}: ${label(q)} differs from computeInsights`);
  }
  console.log(`\ninsights on ${name} (${lines.length.toLocaleString('en')} events in scenario-1), ms, median (min-max) of ${REPEAT}; answers equal computeInsights: yes; load ${loadavg()[0].toFixed(2)}`);
  for (const [k, q] of QUERIES.entries()) console.log(`  ${label(q).padEnd(26)} ${fmt(stats(times[k]))}`);
}

let started;
let url = process.env.TELEMETRY_CLICKHOUSE_URL;
try {
  if (!url) {
    const bin = server.findClickHouseBinary();
    if (!bin) throw new Error('clickhouse-server is not installed, and TELEMETRY_CLICKHOUSE_URL is unset');
    started = await server.startClickHouseServer(bin);
    url = started.url;
  }
  const serverPid = started?.child.pid;
  const database = `bench_details_${process.pid}`;
  console.log(
    `details index: ${N.toLocaleString('en')} events in batches of ${BATCH} (${CONCURRENCY} appends in flight), ${SCENARIOS} scenarios, ${DAYS} days, ${INSTALLATIONS} installations, ${ROUNDS} interleaved rounds; before = ${args.before}; ClickHouse at ${url}; load average at start ${loadavg()[0].toFixed(2)}`,
  );
  const rounds = { before: [], after: [] };
  const table = (variant, r) => `${variant}_${r}`;
  const drop = async (t) => {
    for (const x of [`${t}_hours_mv`, `${t}_hours`, `${t}_settled`, t]) await sql(url, `DROP TABLE IF EXISTS ${database}.${x}`);
  };
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? ['before', 'after'] : ['after', 'before'];
    for (const variant of order) {
      const S = variant === 'before' ? Before : ClickHouseStore;
      const s = new S({ url, database, table: table(variant, r), env: {} });
      await s.open();
      rounds[variant].push(await ingestInto(s, { n: N, batch: BATCH, concurrency: CONCURRENCY, batchAt, serverPid }));
      await s.close();
    }
    const [b, a] = [rounds.before[r], rounds.after[r]];
    console.log(`  round ${r + 1}: before ${Math.round(b.rate).toLocaleString('en')}/s, after ${Math.round(a.rate).toLocaleString('en')}/s (${(a.rate / b.rate).toFixed(2)}x); load ${loadavg()[0].toFixed(2)}`);
    if (r < ROUNDS - 1) for (const v of ['before', 'after']) await drop(table(v, r));
  }
  const ratios = stats(rounds.after.map((a, r) => a.rate / rounds.before[r].rate));
  const cpu = (list, key) => (list.every((x) => x[key] !== undefined) ? stats(list.map((x) => x[key])) : undefined);
  console.log(`\ningest, events/s, median (min-max) of ${ROUNDS} interleaved rounds:`);
  for (const v of ['before', 'after']) {
    const node = cpu(rounds[v], 'nodeUs');
    const srv = cpu(rounds[v], 'serverUs');
    console.log(`  ${v.padEnd(7)} ${fmt(stats(rounds[v].map((x) => x.rate)), 0)}; CPU per event: this process ${fmt(node, 2)} µs${srv ? `, ClickHouse server ${fmt(srv, 2)} µs` : ''}`);
  }
  console.log(`  ratio after/before per round: median ${ratios.median.toFixed(2)}x (${ratios.min.toFixed(2)}-${ratios.max.toFixed(2)})`);
  const bytes = async (t) => (await sql(url, `SELECT sum(data_compressed_bytes) FROM system.parts WHERE database = '${database}' AND table = '${t}' AND active FORMAT TSV`)).trim();
  const last = ROUNDS - 1;
  console.log(`  table on disk (compressed): before ${(Number(await bytes(table('before', last))) / 1048576).toFixed(1)} MiB, after ${(Number(await bytes(table('after', last))) / 1048576).toFixed(1)} MiB`);

  const after = new ClickHouseStore({ url, database, table: table('after', last), env: {} });
  await after.open();
  await insightsOn('indexed rows (this tree\'s table)', after);
  await after.close();
  // The earlier tree's table, opened by this tree: the columns are added, every row is unindexed.
  const upgraded = new ClickHouseStore({ url, database, table: table('before', last), env: {} });
  await upgraded.open();
  await insightsOn('rows of an earlier release (its table opened by this tree)', upgraded);
  await upgraded.close();
  await sql(url, `DROP DATABASE IF EXISTS ${database}`);
} finally {
  if (started) await server.stopClickHouseServer(started);
}
