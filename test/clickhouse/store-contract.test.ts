/**
 * One store contract, two stores: the identical cases of storeContract.ts run against the JSONL store (always) and
 * the ClickHouse store (a real server from globalSetup.ts; skipped with a printed reason when none can run). A last
 * case feeds both stores the same uploads and compares what they answer, byte for byte (summaries, lines, insights).
 */
import { SeverityNumber } from '@opentelemetry/api-logs';
import { afterAll, describe, expect, it } from 'vitest';
import { ClickHouseStore } from '../../collector/stores/clickhouse/ClickHouseStore.js';
import { JsonlStore } from '../../collector/stores/JsonlStore.js';
import type { StoreEvent } from '../../collector/stores/TelemetryStore.js';
import { encodeRow, lineFromRow, rowFromLine, type StoredRow } from '../../exporters/clickhouse/rows.js';
import { computeInsights } from '../../query/insights/compute.js';
import { parseInsightsParams } from '../../query/insights/params.js';
import { NO_GROUP } from '../../query/insights/types.js';
import { tmpDir } from '../helpers.js';
import { clickhouseSql, clickhouseUrl, dropDatabase, uniqueDatabase } from './clickhouse.js';
import { collect, ev, storeContract, type StoreUnderTest } from './storeContract.js';

const url = clickhouseUrl('store-contract.test.ts');
const database = uniqueDatabase('contract');
let tables = 0;

afterAll(() => dropDatabase(url, database));

const jsonl: StoreUnderTest = {
  name: 'JsonlStore',
  async fresh() {
    const dir = tmpDir('opt-contract-');
    return { make: (o = {}) => new JsonlStore({ dir, ...o }), cleanup: async () => undefined };
  },
};

const clickhouse: StoreUnderTest = {
  name: 'ClickHouseStore',
  async fresh() {
    const table = `events_${++tables}`;
    // env: {} so that nothing from the outside (TELEMETRY_CLICKHOUSE_*) changes the case.
    return { make: (o = {}) => new ClickHouseStore({ url, database, table, env: {}, ...o }), cleanup: async () => undefined };
  },
};

storeContract(jsonl);
describe.skipIf(url === undefined)('ClickHouse', () => {
  storeContract(clickhouse);

  it('a table of an earlier release (no installation_id column) gets the column at open; its rows still read', async () => {
    const table = `old_${++tables}`;
    await clickhouseSql(url!, `CREATE DATABASE IF NOT EXISTS ${database}`);
    await clickhouseSql(
      url!,
      `CREATE TABLE ${database}.${table} (scenario String, ts_ms UInt64, id String, event String, deployment_id Nullable(String), level String, details String, seq UInt64) ` +
        'ENGINE = ReplacingMergeTree PARTITION BY toYYYYMM(toDateTime(intDiv(ts_ms, 1000))) ORDER BY (scenario, ts_ms, id)',
    );
    await clickhouseSql(url!, `INSERT INTO ${database}.${table} FORMAT JSONEachRow {"scenario":"s","ts_ms":${Date.UTC(2025, 0, 15, 12)},"id":"old-1","event":"e","deployment_id":"d","level":"","details":"","seq":1}`);
    for (let round = 0; round < 2; round++) {
      const c = new ClickHouseStore({ url, database, table, env: {} });
      await c.open();
      try {
        if (round === 0) expect(await c.append([ev('s', 'e', 1, { id: 'new-1', installationId: 'inst-1' })])).toMatchObject({ stored: 1 });
        expect((await collect(c, { scenario: 's' })).map((l) => JSON.stringify(l))).toEqual([
          '{"ts":"2025-01-15T12:00:00.000Z","scenario":"s","deployment_id":"d","event":"e","id":"old-1"}',
          '{"ts":"2025-01-15T12:00:00.001Z","scenario":"s","installation_id":"inst-1","event":"e","id":"new-1"}',
        ]);
      } finally {
        await c.close();
      }
    }
    const columns = await clickhouseSql(url!, `SELECT name FROM system.columns WHERE database = '${database}' AND table = '${table}' FORMAT TSV`);
    expect(columns.trim().split('\n')).toEqual(['scenario', 'ts_ms', 'id', 'event', 'deployment_id', 'installation_id', 'level', 'details', 'details_keys', 'details_values', 'details_indexed', 'seq']);
  });

  it('a table without the details index (earlier release): the columns are added at open, its rows are grouped by a details key from their text, exactly; an event with an old and a new copy counts once', async () => {
    const table = `unindexed_${++tables}`;
    const T = `${database}.${table}`;
    await clickhouseSql(url!, `CREATE DATABASE IF NOT EXISTS ${database}`);
    await clickhouseSql(
      url!,
      `CREATE TABLE ${T} (scenario String, ts_ms UInt64, id String, event String, deployment_id Nullable(String), installation_id Nullable(String), level String, details String, seq UInt64) ` +
        'ENGINE = ReplacingMergeTree PARTITION BY toYYYYMM(toDateTime(intDiv(ts_ms, 1000))) ORDER BY (scenario, ts_ms, id)',
    );
    // Rows as an earlier release wrote them: no index. Nested and non-scalar values, numbers, booleans, a repeat text.
    const old: [string, string, Record<string, unknown> | undefined][] = [
      ['old-1', 'app_start', { version: '1.0.0', platform: 'linux' }],
      ['old-2', 'crash', { version: '1.0.0', platform: 'linux' }],
      ['old-3', 'app_start', { meta: { version: 'nested' } }],
      ['old-4', 'command', { version: 2, platform: false }],
      ['old-5', 'command', { version: { major: 1 }, platform: null }],
      ['old-6', 'command', undefined],
      ['dup-1', 'crash', { version: '0.9', platform: 'darwin' }],
    ];
    const t0 = Date.UTC(2025, 0, 15, 12);
    const oldRow = ([id, event, details]: (typeof old)[number], i: number): string =>
      JSON.stringify({ scenario: 's', ts_ms: t0 + i * 3_600_000, id, event, deployment_id: null, installation_id: `inst-${i % 2}`, level: '', details: details === undefined ? '' : JSON.stringify(details), seq: i + 1 });
    await clickhouseSql(url!, `INSERT INTO ${T} FORMAT JSONEachRow ${old.map(oldRow).join('\n')}`);
    const c = new ClickHouseStore({ url, database, table, env: {} });
    await c.open();
    try {
      expect(await clickhouseSql(url!, `SELECT count() FROM ${T} WHERE details_indexed = 0 AND empty(details_keys) FORMAT TSV`)).toBe(`${old.length}\n`);
      expect(await c.append([ev('s', 'app_start', 10 * 3_600_000, { id: 'new-1', installationId: 'inst-9', details: { version: '1.0.0', meta: { version: 'x' } } }), ev('s', 'command', 11 * 3_600_000, { id: 'new-2', details: { version: 3 } })])).toMatchObject({ stored: 2 });
      // A racing collector of this release stored dup-1 again, indexed (the store's own check would refuse it).
      const dup = old.length - 1;
      await clickhouseSql(url!, `INSERT INTO ${T} FORMAT JSONEachRow ${encodeRow(rowFromLine(lineFromRow(JSON.parse(oldRow(old[dup]!, dup)) as StoredRow), 99))}`);
      expect(await clickhouseSql(url!, `SELECT details_indexed, details_keys, details_values FROM ${T} WHERE id IN ('dup-1', 'new-1') ORDER BY id, details_indexed FORMAT TSV`)).toBe(
        "0\t[]\t[]\n1\t['version','platform']\t['0.9','darwin']\n1\t['version']\t['1.0.0']\n",
      );
      const lines = await collect(c, { scenario: 's' });
      expect(lines).toHaveLength(old.length + 2);
      for (const by of ['version', 'platform', 'meta', 'event']) {
        for (const bucket of ['hour', 'day'] as const) {
          const q = parseInsightsParams('s', { from: '2025-01-14T00:00:00Z', to: '2025-01-17T00:00:00Z', bucket, by, top: '100' }, t0);
          expect(await c.insights(q), JSON.stringify(q)).toEqual(await computeInsights(q, lines));
        }
      }
      const byVersion = await c.insights(parseInsightsParams('s', { from: '2025-01-14T00:00:00Z', to: '2025-01-17T00:00:00Z', by: 'version', top: '100' }, t0));
      expect(byVersion.totals).toEqual({ '1.0.0': 3, '0.9': 1, '2': 1, '3': 1, [NO_GROUP]: 3 });
      expect(byVersion.failures).toBe(2);
    } finally {
      await c.close();
    }
  });

  it('answers exactly what the JSONL store answers for the same uploads', async () => {
    const j = new JsonlStore({ dir: tmpDir('opt-same-') });
    const c = new ClickHouseStore({ url, database, table: `same_${++tables}`, env: {} });
    await Promise.all([j.open(), c.open()]);
    try {
      const failures = ['crash', 'service_crashed', 'dependency_unreachable', 'migration_failed', 'health_check_failed'];
      const batches: StoreEvent[][] = [];
      let n = 0;
      for (let b = 0; b < 6; b++) {
        const batch: StoreEvent[] = [];
        for (let i = 0; i < 40; i++, n++) {
          const scenario = ['alpha', 'beta', 'gamma.v2'][n % 3]!;
          const event = n % 7 === 0 ? failures[n % failures.length]! : ['app_start', 'page_view', 'click'][Math.floor(n / 3) % 3]!;
          // Times wander back and forth; some repeat.
          const t = ((n * 7919) % 500) * 3;
          batch.push(ev(scenario, event, t, { id: `id-${n}`, deploymentId: n % 4 === 0 ? `dep-${n % 3}` : undefined, installationId: n % 5 < 2 ? `inst-${n % 2}` : undefined, details: n % 2 === 0 ? { n, tags: ['a', n % 5], ok: n % 3 === 0 } : undefined, severityNumber: event === 'crash' ? SeverityNumber.FATAL : undefined }));
        }
        // Every batch re-sends a few events of the previous one (a client retrying).
        if (b > 0) batch.push(...batches[b - 1]!.slice(0, 5));
        batches.push(batch);
      }
      for (const batch of batches) {
        const [rj, rc] = [await j.append(batch), await c.append(batch)];
        expect(rc).toEqual(rj);
      }
      expect(JSON.stringify(await c.summaries())).toBe(JSON.stringify(await j.summaries()));
      for (const scenario of ['alpha', 'beta', 'gamma.v2']) {
        expect(JSON.stringify(await c.summary(scenario))).toBe(JSON.stringify(await j.summary(scenario)));
        for (const q of [{}, { event: 'click' }, { since: Date.UTC(2025, 0, 15, 12, 0, 0, 300), until: Date.UTC(2025, 0, 15, 12, 0, 1, 0) }, { limit: 7 }]) {
          const [lj, lc] = [await collect(j, { scenario, ...q }), await collect(c, { scenario, ...q })];
          expect(lc.length).toBeGreaterThan(0);
          expect(lc.map((l) => JSON.stringify(l))).toEqual(lj.map((l) => JSON.stringify(l)));
        }
        // Insights: the same answer, byte for byte, for every grouping, bucket, the event filter and top/other.
        for (const p of [{}, { bucket: 'hour', by: 'level' }, { bucket: 'week', by: 'deployment_id', top: '1' }, { by: 'ok', event: 'click' }, { bucket: 'minute', from: '2025-01-15T11:30:00Z', to: '2025-01-15T12:30:00Z', by: 'n', top: '3' }]) {
          const q = parseInsightsParams(scenario, { from: '3d', to: '0d', ...p }, Date.UTC(2025, 0, 16));
          const [aj, ac] = [await j.insights(q), await c.insights(q)];
          expect(aj.total_events).toBeGreaterThan(0);
          expect(JSON.stringify(ac)).toBe(JSON.stringify(aj));
        }
      }
    } finally {
      await Promise.all([j.close(), c.close()]);
    }
  });
});
