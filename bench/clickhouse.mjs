// ClickHouse store benchmark (issues 8, 16, 14): the collector's two stores side by side in one run, on the same events.
//   ingest   events/s appending N events (batches of --batch events, as uploads arrive; --concurrency appends in
//            flight for both stores, whose group commits merge them). An append counts when its promise resolved: for
//            JSONL once its lines are written, for ClickHouse once ClickHouse answered the INSERT (acknowledged = stored).
//            --rounds interleaved rounds (fresh dir / fresh table each; the order alternates), medians and min-max,
//            with CPU time per event of this process (both stores) and of the ClickHouse server (when started here).
//            Each append runs in a task of its own, as uploads arrive (storeBench.mjs). Every round's data stays until
//            the ingest rounds' end: removing a round's files made the next round's file creation dearer (on this
//            project's VMs, see data-dir), a cost of the benchmark and not of the store. The reads start after
//            `sync` has written back the rounds' dirty pages (GBs of JSONL files, else written back during the reads)
//            and ClickHouse's merges of the ingest are over (at most 60 s).
//   restart  time to open a store over the N stored events (JSONL rebuilds summaries and the id window from the files)
//   summary  latency of summaries() (all scenarios) and summary(one) with N stored events, median of --repeat; and the
//            first summaries() after open (ClickHouse: settled hours not yet in the store's memory, rollup.ts)
//   query    latency of the first 100 lines of one scenario for one event name: the first call after open (ClickHouse:
//            the scenario is read, and the hour bounds in the background), then the median of --repeat
//   insights latency of insights() over the whole range (by event / level / deployment_id, day buckets), answers
//            compared between the stores
// The JSONL store is the baseline; the ratio is ClickHouse / JSONL (for latencies, > 1 means ClickHouse is slower).
// ClickHouse: TELEMETRY_CLICKHOUSE_URL if set, else a throw-away clickhouse-server is started (as the tests do).
//   before   with --before DIR (a checkout of an earlier commit, e.g. `git archive <commit> | tar -x -C DIR` and a
//            node_modules link): that tree's ClickHouse store ingests too, a third variant of every round (the
//            order rotates), and its reads are timed against this tree's on the same table, alternating per call over
//            --repeat x 3 calls, medians and min-max
//   data-dir with --data-dir DIR, the JSONL store's files and the throw-away ClickHouse server's data go under DIR
//            (default the OS temp dir); the header names DIR's file system (filesystem.mjs). On this project's VMs the
//            root file system is ext4 without a journal, where creating a file scans for recently deleted inodes:
//            ClickHouse creates ~40 files per inserted part, and after mass deletions (earlier runs' data) spends much
//            of its CPU there (perf); in this benchmark's own runs it spent about as much as on a journaled ext4. The
//            JSONL store appends to a few files. `--data-dir /dev/shm` (tmpfs) shows both stores without that cost, and
//            `--data-dir $(bash bench/journaled-ext4.sh)` on an ext4 with a journal (mkfs.ext4's default, as on a
//            ClickHouse host) in an image file on this machine's disk (root; README, "Ingest, fifth change").
// Run: node bench/clickhouse.mjs [--events 1000000] [--rounds 3] [--batch 1000] [--concurrency 8] [--repeat 5] [--before DIR]
//        [--data-dir DIR]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { register } from 'tsx/esm/api';
import { describeFilesystem } from './filesystem.mjs';
import { fmt, ingestInto, stats, storeBenchArgs, uploadedEvents } from './storeBench.mjs';

register();
const args = storeBenchArgs({}, { 'data-dir': { type: 'string' } });
const { events: N, rounds: ROUNDS, batch: BATCH, concurrency: CONCURRENCY, repeat: REPEAT, scenarios: SCENARIOS, installations: INSTALLATIONS, days: DAYS } = args;

const { JsonlStore } = await import('../collector/stores/JsonlStore.ts');
const { ClickHouseStore } = await import('../collector/stores/clickhouse/ClickHouseStore.ts');
const { uuidv7 } = await import('../core/id.ts');
const server = await import('../test/clickhouse/server.ts');

// Uploaded events (storeBench.mjs) with a small details object: the failure and its attempt, else version, platform
// and start-up time.
const { batchAt, T0 } = uploadedEvents(args, uuidv7, (k, _inst, failure) =>
  failure ? { error: `failure ${k}`, attempt: k % 5 } : { version: `1.${k % 4}.0`, platform: 'linux-x64', startup_ms: 5000 + (k % 1000) },
);

/** Dirty and under-writeback page cache, MiB (/proc/meminfo), or "?" off Linux. */
function dirtyMiB() {
  try {
    const m = readFileSync('/proc/meminfo', 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(m)?.[1] ?? 0);
    return Math.round((kb('Dirty') + kb('Writeback')) / 1024);
  } catch {
    return '?';
  }
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

const INSIGHTS = ['event', 'level', 'deployment_id'].map((by) => ({ scenario: 'scenario-1', from: T0, to: T0 + DAYS * 86_400_000, bucket: 'day', by, top: 10 }));

async function reads(name, make) {
  const openStarted = performance.now();
  const store = make();
  await store.open();
  const openMs = performance.now() - openStarted;
  const firstStarted = performance.now();
  const all = await store.summaries();
  const firstMs = performance.now() - firstStarted;
  const total = all.reduce((a, s) => a + s.total_events, 0);
  if (total !== N) throw new Error(`${name}: summaries count ${total} of ${N}`);
  const insightAnswers = [];
  for (const q of INSIGHTS) insightAnswers.push(JSON.stringify(await store.insights(q)));
  const result = {
    open: openMs,
    first: firstMs,
    summaries: await timeIt(() => store.summaries()),
    summary: await timeIt(() => store.summary('scenario-0')),
    // The first call alone: ClickHouse's store knows no hour bounds yet and reads the scenario (queryBounds.ts).
    queryFirst: await timeIt(() => firstLines(store), 1),
    query: await timeIt(() => firstLines(store)),
    insights: await timeIt(async () => {
      for (const q of INSIGHTS) await store.insights(q);
    }) / INSIGHTS.length,
    summaryJson: JSON.stringify(all),
    insightsJson: insightAnswers.join('\n'),
  };
  await store.close();
  return result;
}

/** The reads of an earlier tree's ClickHouse store (--before) against this tree's, alternating call by call. */
async function beforeAfter(url, database, table) {
  const { ClickHouseStore: Before } = await import(join(args.before, 'collector/stores/clickhouse/ClickHouseStore.ts'));
  const stores = { before: new Before({ url, database, table, env: {} }), after: new ClickHouseStore({ url, database, table, env: {} }) };
  for (const s of Object.values(stores)) await s.open();
  if (JSON.stringify(await stores.before.summaries()) !== JSON.stringify(await stores.after.summaries())) throw new Error('before and after disagree on the summaries');
  const ops = [
    ['summaries()', (s) => s.summaries()],
    ['summary(one)', (s) => s.summary('scenario-0')],
    ['summary(one with failures)', (s) => s.summary(`scenario-${7 % SCENARIOS}`)],
    ['query 100 lines', firstLines],
  ];
  console.log(`\nClickHouse reads, ms: before (${args.before}) vs this tree, ${REPEAT * 3} calls each alternating, median (min-max); load ${loadavg()[0].toFixed(2)}`);
  for (const [label, op] of ops) {
    const t = { before: [], after: [] };
    for (let i = 0; i < REPEAT * 3; i++) {
      for (const k of i % 2 === 0 ? ['before', 'after'] : ['after', 'before']) {
        const started = performance.now();
        await op(stores[k]);
        t[k].push(performance.now() - started);
      }
    }
    const b = stats(t.before);
    const a = stats(t.after);
    console.log(`  ${label.padEnd(28)} before ${fmt(b).padEnd(22)} after ${fmt(a).padEnd(22)} ${(a.median / b.median).toFixed(2)}x`);
  }
  for (const s of Object.values(stores)) await s.close();
}

const dataParent = args['data-dir'] ?? tmpdir();
const dir = mkdtempSync(join(dataParent, 'opt-bench-ch-'));
let started;
let url = process.env.TELEMETRY_CLICKHOUSE_URL;
try {
  if (!url) {
    const bin = server.findClickHouseBinary();
    if (!bin) throw new Error('clickhouse-server is not installed (apt-get install -y clickhouse-server clickhouse-client), and TELEMETRY_CLICKHOUSE_URL is unset');
    started = await server.startClickHouseServer(bin, dataParent);
    url = started.url;
  }
  const serverPid = started?.child.pid;
  const database = `bench_${process.pid}`;
  console.log(
    `ClickHouse store vs JSONL store: ${N.toLocaleString('en')} events in batches of ${BATCH} (${CONCURRENCY} appends in flight, both stores), ${SCENARIOS} scenarios, ${DAYS} days, ${INSTALLATIONS} installations, ${ROUNDS} interleaved rounds; ClickHouse at ${url}; data (JSONL files, ClickHouse's path) under ${describeFilesystem(dataParent)}; load average at start ${loadavg()[0].toFixed(2)}`,
  );
  const jsonlRounds = [];
  const chRounds = [];
  const beforeRounds = [];
  const Before = args.before !== undefined ? (await import(join(args.before, 'collector/stores/clickhouse/ClickHouseStore.ts'))).ClickHouseStore : undefined;

  const jsonlDir = (r) => join(dir, `jsonl-${r}`);
  const chTable = (r) => `events_${r}`;
  for (let r = 0; r < ROUNDS; r++) {
    const variants = [
      async () => {
        const s = new JsonlStore({ dir: jsonlDir(r) });
        await s.open();
        jsonlRounds.push(await ingestInto(s, { n: N, batch: BATCH, concurrency: CONCURRENCY, batchAt }));
        await s.close();
      },
      async () => {
        const s = new ClickHouseStore({ url, database, table: chTable(r), env: {} });
        await s.open();
        chRounds.push(await ingestInto(s, { n: N, batch: BATCH, concurrency: CONCURRENCY, batchAt, serverPid }));
        await s.close();
      },
    ];
    if (Before !== undefined) {
      variants.push(async () => {
        const s = new Before({ url, database, table: `${chTable(r)}_before`, env: {} });
        await s.open();
        beforeRounds.push(await ingestInto(s, { n: N, batch: BATCH, concurrency: CONCURRENCY, batchAt, serverPid }));
        await s.close();
      });
    }
    // Each round in another order, so that no variant always runs first (or right after the same one).
    for (let k = 0; k < r % variants.length; k++) variants.push(variants.shift());
    if (r % 2 === 1) variants.reverse();
    for (const v of variants) await v();
    const j = jsonlRounds[jsonlRounds.length - 1];
    const c = chRounds[chRounds.length - 1];
    const b = Before !== undefined ? beforeRounds[beforeRounds.length - 1] : undefined;
    console.log(
      `  round ${r + 1}: JSONL ${Math.round(j.rate).toLocaleString('en')}/s, ClickHouse ${Math.round(c.rate).toLocaleString('en')}/s (${(c.rate / j.rate).toFixed(2)}x)` +
        (b !== undefined ? `, ClickHouse before ${Math.round(b.rate).toLocaleString('en')}/s (${(b.rate / j.rate).toFixed(2)}x)` : '') +
        `; load ${loadavg()[0].toFixed(2)}`,
    );
  }
  const last = ROUNDS - 1;
  // Only the last round's data is read: the others go now that no round is timed (see the header), and the reads wait
  // (at most 60 s) for ClickHouse's merges of the ingest to end, so that they time the table and not the merging.
  const sql = async (query) => {
    const u = new URL(url);
    u.searchParams.set('query', query);
    return (await fetch(u, { method: 'POST' })).text();
  };
  for (let r = 0; r < last; r++) {
    rmSync(jsonlDir(r), { recursive: true, force: true });
    for (const t of [chTable(r), `${chTable(r)}_before`]) for (const x of [`${t}_hours_mv`, `${t}_hours`, `${t}_settled`, t]) await sql(`DROP TABLE IF EXISTS ${database}.${x}`);
  }
  const waitStarted = performance.now();
  // The rounds wrote GBs (the JSONL files above all) that the kernel has not yet written back: left alone, that
  // writeback runs during the reads and times the disk, not the stores. sync writes it all before any read (both stores).
  const dirty = dirtyMiB();
  execFileSync('sync');
  const syncS = (performance.now() - waitStarted) / 1000;
  while (performance.now() - waitStarted < 60_000 && Number((await sql('SELECT count() FROM system.merges')).trim()) > 0) await new Promise((r) => setTimeout(r, 250));
  console.log(
    `\n(reads start after ${((performance.now() - waitStarted) / 1000).toFixed(1)} s: ${syncS.toFixed(1)} s for sync to write back ${dirty} MiB of dirty pages, then waiting for ClickHouse's merges; load ${loadavg()[0].toFixed(2)})`,
  );
  const jsonl = await reads('jsonl', () => new JsonlStore({ dir: jsonlDir(last) }));
  const ch = await reads('clickhouse', () => new ClickHouseStore({ url, database, table: chTable(last), env: {} }));
  if (ch.summaryJson !== jsonl.summaryJson) throw new Error('the two stores disagree on the summaries');
  if (ch.insightsJson !== jsonl.insightsJson) throw new Error('the two stores disagree on the insights');
  const bytes = readdirSync(jsonlDir(last)).reduce((a, f) => a + statSync(join(jsonlDir(last), f)).size, 0);

  const ji = stats(jsonlRounds.map((x) => x.rate));
  const ci = stats(chRounds.map((x) => x.rate));
  const ratios = stats(chRounds.map((c, i) => c.rate / jsonlRounds[i].rate));
  const fmtRate = (v) => Math.round(v).toLocaleString('en');
  console.log(`\ningest, events/s (median of ${ROUNDS} interleaved rounds, min-max):`);
  console.log(`  JSONL       ${fmtRate(ji.median)} (${fmtRate(ji.min)}-${fmtRate(ji.max)})   this process ${stats(jsonlRounds.map((x) => x.nodeUs)).median.toFixed(1)} µs CPU/event`);
  const srv = chRounds.every((x) => x.serverUs !== undefined) ? `, ClickHouse server ${stats(chRounds.map((x) => x.serverUs)).median.toFixed(1)} µs CPU/event` : '';
  console.log(`  ClickHouse  ${fmtRate(ci.median)} (${fmtRate(ci.min)}-${fmtRate(ci.max)})   this process ${stats(chRounds.map((x) => x.nodeUs)).median.toFixed(1)} µs CPU/event${srv}`);
  console.log(`  ratio ClickHouse/JSONL per round: median ${ratios.median.toFixed(2)}x (${ratios.min.toFixed(2)}-${ratios.max.toFixed(2)})`);
  if (beforeRounds.length > 0) {
    const bi = stats(beforeRounds.map((x) => x.rate));
    const br = stats(beforeRounds.map((b, i) => b.rate / jsonlRounds[i].rate));
    const bsrv = beforeRounds.every((x) => x.serverUs !== undefined) ? `, ClickHouse server ${stats(beforeRounds.map((x) => x.serverUs)).median.toFixed(1)} µs CPU/event` : '';
    console.log(`  ClickHouse, the tree before (${args.before}): ${fmtRate(bi.median)} (${fmtRate(bi.min)}-${fmtRate(bi.max)})   this process ${stats(beforeRounds.map((x) => x.nodeUs)).median.toFixed(1)} µs CPU/event${bsrv}`);
    console.log(`  ratio before/JSONL per round: median ${br.median.toFixed(2)}x (${br.min.toFixed(2)}-${br.max.toFixed(2)}); this tree / before: ${stats(chRounds.map((c, i) => c.rate / beforeRounds[i].rate)).median.toFixed(2)}x`);
  }
  if (srv !== '') {
    // All the CPU an event costs, wherever it runs: what decides the rate when the cores are shared.
    const total = stats(chRounds.map((x) => x.nodeUs + x.serverUs)).median;
    const jsonlTotal = stats(jsonlRounds.map((x) => x.nodeUs)).median;
    console.log(`  CPU per event, all processes: JSONL ${jsonlTotal.toFixed(1)} µs (${fmtRate(1e6 / jsonlTotal)} events per CPU-second), ClickHouse ${total.toFixed(1)} µs (${fmtRate(1e6 / total)})`);
  }

  const rows = [
    ['open / restart (ms)', jsonl.open, ch.open, (v) => v.toFixed(1)],
    ['summaries() 1st after open (ms)', jsonl.first, ch.first, (v) => v.toFixed(2)],
    ['summaries() (ms, median)', jsonl.summaries, ch.summaries, (v) => v.toFixed(2)],
    ['summary(one) (ms, median)', jsonl.summary, ch.summary, (v) => v.toFixed(2)],
    ['query 100 lines, 1st call (ms)', jsonl.queryFirst, ch.queryFirst, (v) => v.toFixed(2)],
    ['query 100 lines (ms, median)', jsonl.query, ch.query, (v) => v.toFixed(2)],
    ['insights, one query (ms, median)', jsonl.insights, ch.insights, (v) => v.toFixed(2)],
  ];
  console.log(`\n${'reads at ' + N.toLocaleString('en') + ' events'.padEnd(10)}`.padEnd(34) + `${'JSONL (baseline)'.padStart(18)}${'ClickHouse'.padStart(14)}${'ratio'.padStart(9)}`);
  for (const [label, base, value, fmt] of rows) console.log(`${label.padEnd(34)}${fmt(base).padStart(18)}${fmt(value).padStart(14)}${(value / base).toFixed(2).padStart(9)}`);
  console.log(`\nsummaries and insights identical in both stores: yes (${SCENARIOS} scenarios, ${N.toLocaleString('en')} events; JSONL files ${(bytes / 1048576).toFixed(1)} MiB)`);
  if (args.before !== undefined) await beforeAfter(url, database, chTable(last));
  const u = new URL(url);
  u.searchParams.set('query', `SELECT formatReadableSize(sum(bytes_on_disk)) FROM system.parts WHERE database = '${database}' AND active AND table IN ('${chTable(last)}', '${chTable(last)}_hours', '${chTable(last)}_settled')`);
  const size = await fetch(u, { method: 'POST' }).then((r) => r.text()).catch(() => '?');
  console.log(`ClickHouse tables on disk (events and rollup): ${size.trim()}; load average at the end ${loadavg()[0].toFixed(2)}`);
  u.searchParams.set('query', `DROP DATABASE IF EXISTS ${database}`);
  await fetch(u, { method: 'POST' });
} finally {
  rmSync(dir, { recursive: true, force: true });
  if (started) await server.stopClickHouseServer(started);
}
