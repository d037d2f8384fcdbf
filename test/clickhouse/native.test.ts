/**
 * INSERTs go to ClickHouse as Native blocks (exporters/clickhouse/native.ts): rows written by RowWriter into the
 * events table of a real server read back as they were sent — NULL and "" apart, non-ASCII and multi-byte lengths,
 * 64-bit integers, the details index.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadClickHouseConfig } from '../../exporters/clickhouse/config.js';
import { detailsIndex } from '../../exporters/clickhouse/detailsIndex.js';
import { encodeRunNative, joinNative } from '../../exporters/clickhouse/native.js';
import { RowWriter } from '../../exporters/clickhouse/RowWriter.js';
import type { EventRow } from '../../exporters/clickhouse/rows.js';
import { ensureSchema } from '../../exporters/clickhouse/schema.js';
import { INSERT_COLUMNS } from '../../exporters/clickhouse/tsv.js';
import { clickhouseSql, clickhouseUrl, dropDatabase, uniqueDatabase } from './clickhouse.js';

const url = clickhouseUrl('native.test.ts');
const database = uniqueDatabase('native');
afterAll(() => dropDatabase(url, database));

const row = (over: Partial<EventRow>): EventRow => ({ scenario: 's', ts_ms: 0, id: 'i', event: 'e', deployment_id: null, installation_id: null, level: '', details: '', seq: 1, ...over });

describe.skipIf(url === undefined)('Native INSERTs into a real ClickHouse', () => {
  it.each([
    ['encoded at once', 'events', false],
    ['encoded per append and joined (the store\'s path)', 'events_runs', true],
  ])('store every column as it was sent: %s', async (_how, table, runs) => {
    const config = loadClickHouseConfig({ url, database, table }, {});
    const writer = new RowWriter(config);
    await writer.http.exec(`CREATE DATABASE IF NOT EXISTS ${database}`);
    await ensureSchema(writer.http, config, true);
    const long = 'é'.repeat(3000);
    const rows: EventRow[] = [
      row({ scenario: 'shop', ts_ms: 1_735_689_600_123, id: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', event: 'app_start', deployment_id: 'd-1', installation_id: 'inst', level: 'warn', details: JSON.stringify({ version: '1.0.0', n: 3, ok: true, nested: { a: 1 } }), seq: 2 ** 53 - 1 }),
      row({ id: 'tab\there\nnew "q" \\', event: 'ünïcødé 🎉 \u2028', deployment_id: '', installation_id: long, details: JSON.stringify({ 'k\'ey': 'vä\tl', emoji: '🎉' }), seq: 2 }),
      row({ ts_ms: 2 ** 40 + 5, deployment_id: null, installation_id: '', details: '', seq: 3 }),
      ...Array.from({ length: 3000 }, (_, i) => row({ scenario: `s${i % 3}`, ts_ms: 1_700_000_000_000 + i, id: `id-${i}`, deployment_id: i % 2 === 0 ? null : `d${i}`, details: JSON.stringify({ i, even: i % 2 === 0 }), seq: 10 + i })),
    ];
    const body = runs ? joinNative([0, 2, 1000, 2500].map((from, i, at) => encodeRunNative(rows.slice(from, at[i + 1]))), rows) : undefined;
    expect(await writer.insert(rows, { body })).toEqual(new Set());
    const text = await clickhouseSql(url!, `SELECT ${INSERT_COLUMNS} FROM ${database}.${table} ORDER BY seq FORMAT JSONEachRow`);
    const stored = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const expected = [...rows].sort((a, b) => a.seq - b.seq).map((r) => {
      const index = r.details === '' ? { keys: [], values: [] } : detailsIndex(r.details);
      // JSONEachRow quotes 64-bit integers.
      return { scenario: r.scenario, ts_ms: String(r.ts_ms), id: r.id, event: r.event, deployment_id: r.deployment_id, installation_id: r.installation_id, level: r.level, details: r.details, details_keys: index.keys, details_values: index.values, details_indexed: 1, seq: String(r.seq) };
    });
    expect(stored).toEqual(expected);
  });
});
