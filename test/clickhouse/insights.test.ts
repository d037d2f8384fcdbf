/**
 * ClickHouse insights in SQL (collector/stores/clickhouse/insights.ts) against the JSONL store and the reference scan
 * (computeInsights over the stored lines), on a real server: every grouping, bucket, the event filter, `top`, the
 * installations estimate past EXACT_INSTALLATIONS_LIMIT, and duplicates from two stores racing counted once.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ClickHouseStore } from '../../collector/stores/clickhouse/ClickHouseStore.js';
import { JsonlStore } from '../../collector/stores/JsonlStore.js';
import type { StoreEvent } from '../../collector/stores/TelemetryStore.js';
import { computeInsights } from '../../query/insights/compute.js';
import { EXACT_INSTALLATIONS_LIMIT, type InsightsQuery } from '../../query/insights/types.js';
import { tmpDir } from '../helpers.js';
import { clickhouseUrl, dropDatabase, uniqueDatabase } from './clickhouse.js';
import { collect, ev, T0 } from './storeContract.js';

const url = clickhouseUrl('insights.test.ts');
const database = uniqueDatabase('insights');
let tables = 0;
const open: (ClickHouseStore | JsonlStore)[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
afterAll(() => dropDatabase(url, database));

async function stores(o: { dedupCheck?: boolean; dedupWindow?: number } = {}): Promise<{ j: JsonlStore; c: ClickHouseStore; table: string }> {
  const table = `ins_${++tables}`;
  const j = new JsonlStore({ dir: tmpDir('opt-ins-') });
  const c = new ClickHouseStore({ url, database, table, env: {}, ...o });
  open.push(j, c);
  await Promise.all([j.open(), c.open()]);
  return { j, c, table };
}

const DAY = 86_400_000;

/** Three days of events: several events, levels, deployments, versions, installations, failures. */
function days(n: number, installations: number): StoreEvent[] {
  return Array.from({ length: n }, (_, i) => {
    const failure = i % 11 === 0;
    return ev('app', failure ? (i % 2 === 0 ? 'crash' : 'migration_failed') : ['app_start', 'page_view', 'click'][i % 3]!, Math.floor((i * 3 * DAY) / n), {
      id: `e-${i}`,
      deploymentId: i % 5 === 0 ? undefined : `dep-${i % 3}`,
      installationId: i % 7 === 0 ? undefined : `inst-${i % installations}`,
      severityNumber: i % 13 === 0 ? 13 : undefined,
      details: i % 4 === 0 ? undefined : { version: `1.${i % 4}.0`, platform: i % 2 === 0 ? 'linux' : 'darwin', n: i % 3 },
    });
  });
}

function queries(): InsightsQuery[] {
  const from = T0 - DAY;
  const to = T0 + 4 * DAY;
  const out: InsightsQuery[] = [];
  for (const by of ['event', 'level', 'deployment_id', 'version', 'n']) {
    for (const bucket of ['hour', 'day', 'week'] as const) out.push({ scenario: 'app', from, to, bucket, by, top: 10 });
  }
  out.push({ scenario: 'app', from: T0, to: T0 + 6 * 3_600_000, bucket: 'minute', by: 'event', top: 10 });
  out.push({ scenario: 'app', from, to, bucket: 'day', by: 'event', top: 2 });
  out.push({ scenario: 'app', from, to, bucket: 'day', by: 'level', event: 'crash', top: 10 });
  out.push({ scenario: 'app', from: T0 + DAY, to: T0 + DAY + 3_600_000, bucket: 'hour', by: 'deployment_id', top: 1 });
  out.push({ scenario: 'nope', from, to, bucket: 'day', by: 'event', top: 10 });
  return out;
}

describe.skipIf(url === undefined)('ClickHouse insights', () => {
  it('answers exactly what the JSONL store and the reference scan answer', async () => {
    const { j, c } = await stores();
    const events = days(3000, 40);
    for (let i = 0; i < events.length; i += 500) {
      const batch = events.slice(i, i + 500);
      expect((await c.append(batch)).stored).toBe((await j.append(batch)).stored);
    }
    const lines = await collect(j, { scenario: 'app' });
    for (const q of queries()) {
      const reference = await computeInsights(q, q.scenario === 'app' ? lines : []);
      expect(await c.insights(q), JSON.stringify(q)).toEqual(reference);
      expect(await j.insights(q), JSON.stringify(q)).toEqual(reference);
    }
  });

  it('counts installations past the exact limit with the same estimate (marked estimated)', async () => {
    const { j, c } = await stores();
    const n = EXACT_INSTALLATIONS_LIMIT + 500;
    const events = Array.from({ length: n }, (_, i) => ev('app', 'app_start', i * 10, { id: `i-${i}`, installationId: `inst-${i}` }));
    await c.append(events);
    await j.append(events);
    const q: InsightsQuery = { scenario: 'app', from: T0, to: T0 + DAY, bucket: 'day', by: 'event', top: 10 };
    const answer = await c.insights(q);
    expect(answer.installations.estimated).toBe(true);
    expect(answer).toEqual(await computeInsights(q, await collect(j, { scenario: 'app' })));
  });

  it('counts an event stored twice by racing stores once', async () => {
    const { j, c, table } = await stores({ dedupCheck: false, dedupWindow: 0 });
    const other = new ClickHouseStore({ url, database, table, env: {}, dedupCheck: false, dedupWindow: 0 });
    open.push(other);
    await other.open();
    const events = days(600, 9);
    await Promise.all([c.append(events), other.append(events)]);
    await j.append(events);
    for (const q of queries()) expect(await c.insights(q), JSON.stringify(q)).toEqual(await j.insights(q));
  });
});
