/**
 * Several collectors on one ClickHouse (issue 16 item 3), the way a team outgrows one box: three collector processes
 * (the CLI's `serve`, `TELEMETRY_STORE=clickhouse`) on the same table, each behind a round-robin balancer
 * (loadBalancer.ts), fed by the real uploader (`createUploader`, exporters/upload) from six store dirs. Each dir's
 * events are in a second dir too, sent through a balancer that starts at another collector: the same uploads reach
 * different collectors at the same time. One collector is SIGKILLed while a request is in flight to it; the uploaders
 * retry the cut requests (502 from the balancer) against the others, as they retry any 5xx.
 *
 * Then: every acknowledged event is in the table (those the killed collector acknowledged too), every event is stored
 * exactly once as the reads see it (summaries, the events route, `uniqExact`, `FINAL`; raw rows may hold a racing
 * copy until a merge, and `OPTIMIZE ... FINAL` leaves exactly one row each), and the summaries are the JSONL store's
 * for the same events.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadCollectorConfig } from '../../collector/config.js';
import { toStoreEvent } from '../../collector/ingest/validate.js';
import { JsonlStore } from '../../collector/stores/JsonlStore.js';
import type { ScenarioSummary, StoreEvent } from '../../collector/stores/TelemetryStore.js';
import { uuidv7 } from '../../core/id.js';
import type { TelemetryLine } from '../../core/record.js';
import { loadUploadConfig } from '../../exporters/upload/config.js';
import { createUploader, type Uploader } from '../../exporters/upload/Uploader.js';
import { parseLines } from '../cli/cliProcess.js';
import { tmpDir } from '../helpers.js';
import { clickhouseSql, clickhouseUrl, dropDatabase, uniqueDatabase } from './clickhouse.js';
import { startCollectorProcess, stopCollectorProcess, type CollectorProcess } from './collectorProcess.js';
import { BalancerBooks, LoadBalancer } from './loadBalancer.js';
import { ClickHouseProxy } from './proxy.js';

const url = clickhouseUrl('cluster.test.ts');
const database = uniqueDatabase('cluster');
const TABLE = 'events';
const T = `${database}.${TABLE}`;

const COLLECTORS = 3;
const VICTIM = 2;
const SOURCES = 3;
const SCENARIOS = ['web-app', 'api-server'];
const LINES = 1000; // per scenario and source: 6,000 distinct events, each sent twice
const BATCH = 100;
const FAILURES = ['dependency_unreachable', 'migration_failed', 'health_check_failed'];
const T0 = Date.UTC(2025, 0, 15, 12);

const collectors: CollectorProcess[] = [];
const proxies: ClickHouseProxy[] = [];
const balancers: LoadBalancer[] = [];
const uploaders: Uploader[] = [];
afterEach(async () => {
  await Promise.all(uploaders.splice(0).map((u) => u.shutdown()));
  await Promise.all(balancers.splice(0).map((b) => b.close()));
  for (const c of collectors.splice(0)) c.child.kill('SIGKILL');
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});
afterAll(() => dropDatabase(url, database));

/** One source's store lines per scenario (as the pipeline writes them: UUIDv7 ids, times distinct per scenario). */
function sourceLines(source: number, scenario: number): string[] {
  return Array.from({ length: LINES }, (_, k) => {
    const ts = T0 + (k * SOURCES + source) * 1000 + scenario;
    const failure = k % 25 === 3;
    const line: TelemetryLine = {
      ts: new Date(ts).toISOString(),
      scenario: SCENARIOS[scenario]!,
      deployment_id: `deploy-${source}`,
      event: failure ? FAILURES[k % FAILURES.length]! : k % 2 ? 'page_view' : 'app_start',
      details: failure ? { error: `failure ${source}/${k}`, attempt: k % 4 } : { version: '1.0.0', k },
      id: uuidv7(ts),
    };
    return JSON.stringify(line);
  });
}

async function rows(sql: string): Promise<string[]> {
  return (await clickhouseSql(url!, sql)).split('\n').filter((l) => l !== '');
}

async function getJson(u: string): Promise<unknown> {
  const res = await fetch(u);
  expect(res.status, u).toBe(200);
  return res.json();
}

function byId(a: { id?: string }, b: { id?: string }): number {
  return a.id! < b.id! ? -1 : a.id! > b.id! ? 1 : 0;
}

describe.skipIf(url === undefined)('three collectors on one ClickHouse', () => {
  it('same uploads to different collectors at once, one collector SIGKILLed mid-request: every acknowledged event stored exactly once, summaries = JSONL store', async () => {
    // Three collectors started together on one table (each creates the schema if missing: they race on it). The
    // victim reaches ClickHouse through a proxy, so that the test knows when one of its INSERTs has landed.
    const victimProxy = await ClickHouseProxy.start(url!);
    proxies.push(victimProxy);
    const env = { TELEMETRY_STORE: 'clickhouse', TELEMETRY_CLICKHOUSE_URL: url!, TELEMETRY_CLICKHOUSE_DATABASE: database, TELEMETRY_CLICKHOUSE_TABLE: TABLE };
    collectors.push(
      ...(await Promise.all(
        Array.from({ length: COLLECTORS }, (_, i) => startCollectorProcess({ ...env, TELEMETRY_DIR: tmpDir('opt-cluster-collector-'), ...(i === VICTIM ? { TELEMETRY_CLICKHOUSE_URL: victimProxy.url } : {}) })),
      )),
    );
    const victim = collectors[VICTIM]!;

    // Six store dirs: source s in dirs 2s and 2s+1, each behind a balancer that starts at another collector.
    const sources = Array.from({ length: SOURCES }, (_, s) => SCENARIOS.map((_, c) => sourceLines(s, c)));
    const books = new BalancerBooks(COLLECTORS);
    const dirs: string[] = [];
    for (let s = 0; s < SOURCES; s++) {
      const first = tmpDir('opt-cluster-app-');
      SCENARIOS.forEach((name, c) => writeFileSync(join(first, `${name}.jsonl`), sources[s]![c]!.join('\n') + '\n'));
      const second = tmpDir('opt-cluster-app-');
      mkdirSync(second, { recursive: true });
      for (const name of SCENARIOS) copyFileSync(join(first, `${name}.jsonl`), join(second, `${name}.jsonl`));
      dirs.push(first, second);
    }
    for (let i = 0; i < dirs.length; i++) {
      const lb = await LoadBalancer.start(collectors.map((c) => c.url), books, i % COLLECTORS);
      balancers.push(lb);
      // The uploader's own rules: 5xx and network errors retried with backoff (short here), the same body again.
      const config = loadUploadConfig({ url: `${lb.url}/api/v1/telemetry/upload`, dir: dirs[i]!, batchSize: BATCH, intervalMs: 20, backoffMs: 50, maxBackoffMs: 400 }, {});
      uploaders.push(createUploader({ ...config, url: config.url! }, {}));
    }

    // Once a quarter of the requests are answered (two of them by the victim), the victim's next INSERT goes through
    // to ClickHouse, and when ClickHouse has answered it — the rows are stored, the collector has not heard so and has
    // acknowledged nothing of them — the victim is SIGKILLed: mid-request by construction.
    const totalRequests = (SOURCES * 2 * SCENARIOS.length * LINES) / BATCH;
    let armedAt: number | undefined;
    let held = false;
    books.onSent = (index) => {
      if (index !== VICTIM || armedAt !== undefined) return;
      const answered = books.ackedRequests.reduce((a, b) => a + b, 0);
      if (answered >= totalRequests / 4 && books.ackedRequests[VICTIM]! >= 2) armedAt = answered;
    };
    victimProxy.decide = (sql) => (armedAt !== undefined && !held && sql.startsWith('INSERT') ? ((held = true), 'forward-then-hold') : 'forward');
    victimProxy.onHeld = () => victim.child.kill('SIGKILL');

    for (const u of uploaders) u.start();
    await victim.exited;
    expect(victim.child.signalCode).toBe('SIGKILL');
    // Nothing the killed collector acknowledged is lost (checked before the others have finished).
    const ackedByVictim = [...books.acked[VICTIM]!];
    expect(ackedByVictim.length).toBeGreaterThan(0);
    const storedNow = new Set(await rows(`SELECT DISTINCT id FROM ${T} FORMAT TabSeparated`));
    expect(ackedByVictim.filter((id) => !storedNow.has(id))).toEqual([]);
    // The requests it was answering were cut (502 from the balancer); the rows of the held INSERT are stored though
    // never acknowledged: the uploaders' retries must not store them again.
    while (books.inFlight[VICTIM]! > 0) await new Promise((r) => setTimeout(r, 10));
    const cut = [...books.broken[VICTIM]!];
    expect(books.brokenRequests[VICTIM]).toBeGreaterThan(0);
    const landedUnacknowledged = cut.filter((id) => storedNow.has(id));
    expect(landedUnacknowledged.length).toBeGreaterThan(0);
    expect(landedUnacknowledged.filter((id) => ackedByVictim.includes(id))).toEqual([]);

    // The uploaders finish against the two collectors left.
    const linesPerDir = SCENARIOS.length * LINES;
    const deadline = Date.now() + 40_000;
    while (!uploaders.every((u) => u.status().sent_events === linesPerDir && u.status().pending_bytes === 0)) {
      if (Date.now() > deadline) throw new Error(`uploads did not finish: ${JSON.stringify(uploaders.map((u) => u.status()))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // The cut requests were sent again, to the others: every collector answered some, the victim no more after the kill.
    expect(books.ackedRequests.every((n) => n > 0)).toBe(true);
    expect(books.acked[VICTIM]).toHaveLength(ackedByVictim.length);

    // Every event was acknowledged, and every acknowledged event is in the table.
    const allIds = new Set(sources.flat(2).map((l) => (JSON.parse(l) as TelemetryLine).id!));
    const total = allIds.size;
    expect(total).toBe(SOURCES * SCENARIOS.length * LINES);
    const acked = new Set(books.acked.flat());
    expect(acked.size).toBe(total);
    const stored = new Set(await rows(`SELECT DISTINCT id FROM ${T} FORMAT TabSeparated`));
    expect([...acked].filter((id) => !stored.has(id))).toEqual([]);
    expect(stored.size).toBe(total);

    // What the table holds: each event once by key (uniqExact, FINAL); raw rows may hold a copy from two collectors
    // racing on the same event until ClickHouse merges; OPTIMIZE ... FINAL forces that merge.
    const [raw, unique] = (await rows(`SELECT count(), uniqExact(scenario, ts_ms, id) FROM ${T} FORMAT TabSeparated`))[0]!.split('\t').map(Number);
    expect(unique).toBe(total);
    expect(raw).toBeGreaterThanOrEqual(total);
    expect(Number((await rows(`SELECT count() FROM ${T} FINAL FORMAT TabSeparated`))[0])).toBe(total);
    // The rows that landed unacknowledged are there once — the retries found them and sent nothing again — unless
    // racing copies are about (raw rows before any merge).
    const rowsPerId = new Map((await rows(`SELECT id, count() FROM ${T} GROUP BY id FORMAT TabSeparated`)).map((l) => l.split('\t') as [string, string]));
    const landedRows = landedUnacknowledged.reduce((n, id) => n + Number(rowsPerId.get(id) ?? 0), 0);
    expect(landedRows).toBeGreaterThanOrEqual(landedUnacknowledged.length);
    expect(landedRows - landedUnacknowledged.length).toBeLessThanOrEqual(raw! - total);
    // A race between two collectors leaves a second row per event until a merge; whether this run had one is luck,
    // so copies of some rows (failures among them) are planted through the same INSERT path a racing collector
    // takes, with a later seq: the reads below must still count and list each event once.
    const planted = 40;
    await clickhouseSql(
      url!,
      `INSERT INTO ${T} (scenario, ts_ms, id, event, deployment_id, installation_id, level, details, seq) ` +
        `SELECT scenario, ts_ms, id, event, deployment_id, installation_id, level, details, seq + 1 FROM ${T} ` +
        `WHERE event IN ('app_start', '${FAILURES[0]}') ORDER BY scenario, ts_ms LIMIT ${planted / 2} BY event`,
    );
    expect(Number((await rows(`SELECT count() FROM ${T} FORMAT TabSeparated`))[0])).toBe(raw! + planted);

    // The same events (both copies of every dir, in upload order) into a JSONL store, as the upload route parses them.
    const config = loadCollectorConfig({}, {});
    const limits = { maxDepth: config.maxDetailsDepth, maxKeys: config.maxDetailsKeys, maxClockSkewMs: config.maxClockSkewMs };
    const jsonl = new JsonlStore({ dir: tmpDir('opt-cluster-jsonl-') });
    await jsonl.open();
    for (const copy of [0, 1]) {
      for (const perScenario of sources) {
        for (const lines of perScenario) {
          const events: StoreEvent[] = lines.map((l) => toStoreEvent(JSON.parse(l), {}, limits, Date.now()));
          const r = await jsonl.append(events);
          expect(r).toMatchObject(copy === 0 ? { stored: LINES, duplicates: 0 } : { stored: 0, duplicates: LINES });
        }
      }
    }
    const expected = await jsonl.summaries();
    expect(expected.reduce((n, s) => n + s.total_events, 0)).toBe(total);

    // A collector started in the killed one's place joins without ado.
    collectors[VICTIM] = await startCollectorProcess({ ...env, TELEMETRY_DIR: tmpDir('opt-cluster-collector-') });

    // Reads through every collector: summaries equal the JSONL store's, the events route lists each stored event
    // once, the JSONL store's lines.
    for (const c of collectors) {
      const all = (await getJson(`${c.url}/api/v1/telemetry`)) as { total_scenarios: number; scenarios: ScenarioSummary[] };
      expect(all.total_scenarios).toBe(SCENARIOS.length);
      expect(all.scenarios).toEqual(expected);
      for (const scenario of SCENARIOS) {
        const res = await fetch(`${c.url}/api/v1/telemetry/${scenario}/events`);
        expect(res.status).toBe(200);
        const lines = (parseLines(await res.text()) as unknown as TelemetryLine[]).sort(byId);
        const want: TelemetryLine[] = [];
        for await (const l of jsonl.query({ scenario })) want.push(JSON.parse(JSON.stringify(l)) as TelemetryLine);
        expect(lines).toHaveLength(LINES * SOURCES);
        expect(new Set(lines.map((l) => l.id)).size).toBe(LINES * SOURCES);
        expect(lines).toEqual(want.sort(byId));
      }
    }
    await jsonl.close();

    await clickhouseSql(url!, `OPTIMIZE TABLE ${T} FINAL`);
    expect(Number((await rows(`SELECT count() FROM ${T} FORMAT TabSeparated`))[0])).toBe(total);
    console.info(
      `[cluster] ${total} events sent twice through 3 collectors; SIGKILL after ${armedAt} answered requests cut ${books.brokenRequests[VICTIM]} in flight ` +
        `(${landedUnacknowledged.length} of their events stored unacknowledged, ${landedRows} rows of them now); ` +
        `acknowledged per collector ${books.ackedRequests.join('/')} requests; raw rows before the merge ${raw} (${raw! - total} racing copies, ${planted} planted), after OPTIMIZE FINAL ${total}`,
    );

    // They stop cleanly.
    for (const c of collectors) {
      await stopCollectorProcess(c);
      expect(await c.exited).toBe(0);
    }
  });
});
