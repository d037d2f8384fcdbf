import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsonlStore } from '../../collector/stores/JsonlStore.js';
import type { TelemetryLine } from '../../core/record.js';
import { computeInsights } from '../../query/insights/compute.js';
import { parseInsightsParams } from '../../query/insights/params.js';
import { tmpDir } from '../helpers.js';
import { collector, request, stop, upload } from './setup.js';

const DAY = 86_400_000;
const day = (n: number, h = 0, m = 0): string => new Date(Date.UTC(2025, 0, 13 + n, h, m)).toISOString();

// A small fixture whose numbers are checked by hand.
const FIXTURE = [
  { scenario: 'shop', event: 'app_start', timestamp: day(0, 9), installation_id: 'inst-a', details: { version: '1.0.0', platform: 'linux' } },
  { scenario: 'shop', event: 'app_start', timestamp: day(0, 10), installation_id: 'inst-b', details: { version: '1.1.0', platform: 'darwin' } },
  { scenario: 'shop', event: 'checkout', timestamp: day(0, 11), installation_id: 'inst-a', details: { version: '1.0.0', arch: 'arm64' } },
  { scenario: 'shop', event: 'migration_failed', timestamp: day(1, 8), installation_id: 'inst-a', deployment_id: 'dep-1', details: { version: '1.1.0' } },
  { scenario: 'shop', event: 'checkout', timestamp: day(1, 9), installation_id: 'inst-c', level: 'warn', details: { version: '1.1.0', arch: 'x64' } },
  { scenario: 'shop', event: 'checkout', timestamp: day(1, 23, 59), details: { version: 2 } },
  { scenario: 'other', event: 'app_start', timestamp: day(1, 9), installation_id: 'inst-z' },
];

function linesOf(dir: string, scenario: string): TelemetryLine[] {
  return readFileSync(join(dir, `${scenario}.jsonl`), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as TelemetryLine);
}

describe('GET /api/v1/telemetry/{scenario}/insights', () => {
  it('answers the hand-checked numbers of a small fixture: days, groups, installations, failures, empty buckets', async () => {
    const c = await collector();
    expect((await upload(c, FIXTURE)).body.events_stored).toBe(7);
    const res = await request(`${c.url}/api/v1/telemetry/shop/insights?from=${day(0)}&to=${day(3)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      scenario: 'shop',
      from: '2025-01-13T00:00:00.000Z',
      to: '2025-01-16T00:00:00.000Z',
      bucket: 'day',
      by: 'event',
      event: null,
      top: 10,
      groups: ['checkout', 'app_start', 'migration_failed'],
      totals: { checkout: 3, app_start: 2, migration_failed: 1 },
      total_events: 6,
      installations: { count: 3, estimated: false },
      failures: 1,
      buckets: [
        { start: '2025-01-13T00:00:00.000Z', total: 3, counts: { checkout: 1, app_start: 2, migration_failed: 0 }, installations: { count: 2, estimated: false }, failures: 0 },
        { start: '2025-01-14T00:00:00.000Z', total: 3, counts: { checkout: 2, app_start: 0, migration_failed: 1 }, installations: { count: 2, estimated: false }, failures: 1 },
        { start: '2025-01-15T00:00:00.000Z', total: 0, counts: { checkout: 0, app_start: 0, migration_failed: 0 }, installations: { count: 0, estimated: false }, failures: 0 },
      ],
    });

    const byVersion = await request(`${c.url}/api/v1/telemetry/shop/insights?from=${day(0)}&to=${day(2)}&by=version&top=1`);
    expect(byVersion.body.groups).toEqual(['1.1.0', 'other']);
    expect(byVersion.body.totals).toEqual({ '1.1.0': 3, other: 3 });
    const byLevel = await request(`${c.url}/api/v1/telemetry/shop/insights?from=${day(0)}&to=${day(2)}&by=level`);
    expect(byLevel.body.totals).toEqual({ info: 4, error: 1, warn: 1 });
    const byDeployment = await request(`${c.url}/api/v1/telemetry/shop/insights?from=${day(0)}&to=${day(2)}&by=deployment_id`);
    expect(byDeployment.body.totals).toEqual({ '(none)': 5, 'dep-1': 1 });
    // A details key the JSONL store does not roll up: answered by scanning the (small) file.
    const byArch = await request(`${c.url}/api/v1/telemetry/shop/insights?from=${day(0)}&to=${day(2)}&by=arch`);
    expect(byArch.body.totals).toEqual({ '(none)': 4, arm64: 1, x64: 1 });
    const checkout = await request(`${c.url}/api/v1/telemetry/shop/insights?from=${day(0)}&to=${day(2)}&event=checkout&bucket=week`);
    expect(checkout.body).toMatchObject({ event: 'checkout', from: '2025-01-13T00:00:00.000Z', to: '2025-01-20T00:00:00.000Z', total_events: 3, installations: { count: 2 }, failures: 0 });
    expect(checkout.body.buckets).toHaveLength(1); // 2025-01-13 is a Monday
  });

  it('equals computeInsights over the stored lines for every grouping and bucket, also after a restart (rollups rebuilt)', async () => {
    const dir = tmpDir('insights-');
    let c = await collector({ dir });
    const now = Date.now();
    const events: Record<string, unknown>[] = [];
    for (let i = 0; i < 600; i++) {
      // Over the last 20 days, denser in the last hours (minute buckets), some in the future-most minute.
      const ago = i % 3 === 0 ? (i * 7919) % (3 * 3_600_000) : (i * 104_729_000) % (20 * DAY);
      const e: Record<string, unknown> = { scenario: 'app', event: ['app_start', 'command', 'crash', 'update_error', 'x_failed'][i % 5], timestamp: new Date(now - ago).toISOString(), id: `ev-${i}` };
      if (i % 4 !== 0) e.installation_id = `inst-${i % 37}`;
      if (i % 6 === 0) e.deployment_id = `dep-${i % 4}`;
      if (i % 9 === 0) e.level = 'warn';
      if (i % 2 === 0) e.details = { version: `1.${i % 4}.0`, platform: ['linux', 'darwin', 'win32'][i % 3], arch: i % 5 === 0 ? 'arm64' : 'x64', n: i % 3 };
      events.push(e);
    }
    expect((await upload(c, events)).body.events_stored).toBe(600);
    const queries = [
      'from=30d',
      'from=30d&bucket=hour&by=version',
      'from=21d&bucket=week&by=platform&top=2',
      'from=10d&bucket=day&by=level',
      'from=14d&by=deployment_id&event=command',
      'from=3h&bucket=minute',
      'from=2h&bucket=minute&by=version&top=3',
      'from=25d&bucket=day&by=arch', // not rolled up: scanned
      'from=25d&bucket=day&by=n&event=crash',
      'from=7d&to=1d&bucket=hour&by=platform&top=1',
    ];
    const check = async (): Promise<void> => {
      const lines = linesOf(dir, 'app');
      for (const q of queries) {
        const res = await request(`${c.url}/api/v1/telemetry/app/insights?${q}`);
        expect(res.status, q).toBe(200);
        const query = parseInsightsParams('app', new URLSearchParams(q), Date.parse(res.body.to) - 1);
        // The answer's range is what was applied; compute the reference over the same range.
        query.from = Date.parse(res.body.from);
        query.to = Date.parse(res.body.to);
        expect(res.body, q).toEqual(JSON.parse(JSON.stringify(await computeInsights(query, lines))));
        expect(res.body.total_events, q).toBeGreaterThan(0);
      }
    };
    await check();
    await stop(c);
    c = await collector({ dir });
    await check();
  });

  it('404 for a scenario without events, 400 naming the parameter for bad input, 422 over the scan budget', async () => {
    const dir = tmpDir('insights-');
    const c = await collector({ dir, customStore: new JsonlStore({ dir, insightsScanBytes: 200 }) });
    await upload(c, FIXTURE);
    const missing = await request(`${c.url}/api/v1/telemetry/nope/insights`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ status: 'error', code: 'OPT_ERR_NOT_FOUND', field: 'scenario' });
    const unsafe = await request(`${c.url}/api/v1/telemetry/..%2Fetc/insights`);
    expect(unsafe.status).toBe(400);
    expect(unsafe.body).toMatchObject({ code: 'OPT_ERR_SCENARIO', field: 'scenario' });
    for (const [q, field] of [
      ['bucket=month', 'bucket'],
      ['from=yesterday', 'from'],
      ['from=1d&to=2d', 'from'],
      ['from=30d&bucket=minute', 'bucket'],
      ['top=0', 'top'],
      ['top=101', 'top'],
      ['by=', 'by'],
      [`by=${'k'.repeat(300)}`, 'by'],
      ['bukcet=day', 'bukcet'],
      ['top=1&top=2', 'top'],
    ] as const) {
      const res = await request(`${c.url}/api/v1/telemetry/shop/insights?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body, q).toMatchObject({ status: 'error', code: 'OPT_ERR_INSIGHTS_QUERY', field });
    }
    // `version` is rolled up (no file read); `arch` is not, and the file is over this store's 200-byte budget.
    expect((await request(`${c.url}/api/v1/telemetry/shop/insights?from=${day(0)}&to=${day(2)}&by=version`)).status).toBe(200);
    const over = await request(`${c.url}/api/v1/telemetry/shop/insights?from=${day(0)}&to=${day(2)}&by=arch`);
    expect(over.status).toBe(422);
    expect(over.body).toMatchObject({ status: 'error', code: 'OPT_ERR_INSIGHTS_BUDGET', field: 'by' });
    expect(over.body.error).toMatch(/not rolled up.*scan budget of 200 bytes/);

    // The same from the settings: TELEMETRY_INSIGHTS_KEYS rolls up `arch` (and not `version`), a 200-byte budget.
    const e = await collector({ env: { TELEMETRY_INSIGHTS_KEYS: 'arch', TELEMETRY_INSIGHTS_SCAN_BYTES: '200' } });
    await upload(e, FIXTURE);
    const arch = await request(`${e.url}/api/v1/telemetry/shop/insights?from=${day(0)}&to=${day(2)}&by=arch`);
    expect(arch.status).toBe(200);
    expect(arch.body.totals).toEqual({ '(none)': 4, arm64: 1, x64: 1 });
    expect((await request(`${e.url}/api/v1/telemetry/shop/insights?from=${day(0)}&to=${day(2)}&by=version`)).status).toBe(422);
  });

  it('with the rollups off (insightsRollups: false) answers the same by scanning', async () => {
    const on = await collector();
    const dir = tmpDir('insights-off-');
    const off = await collector({ dir, customStore: new JsonlStore({ dir, insightsRollups: false }) });
    await upload(on, FIXTURE);
    await upload(off, FIXTURE);
    for (const q of [`from=${day(0)}&to=${day(3)}`, `from=${day(0)}&to=${day(2)}&by=version&top=1&bucket=hour`]) {
      const [a, b] = [await request(`${on.url}/api/v1/telemetry/shop/insights?${q}`), await request(`${off.url}/api/v1/telemetry/shop/insights?${q}`)];
      expect(b.status).toBe(200);
      expect(b.body.total_events).toBe(6);
      expect(b.text).toBe(a.text);
    }
  });

  it('asks for the token like the summary routes when TELEMETRY_AUTH_TOKEN is set', async () => {
    const token = 'insights-token-123';
    const c = await collector({ env: { TELEMETRY_AUTH_TOKEN: token } });
    expect((await upload(c, FIXTURE, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const url = `${c.url}/api/v1/telemetry/shop/insights?from=${day(0)}&to=${day(2)}`;
    expect((await request(url)).status).toBe(401);
    expect((await request(url, { headers: { authorization: 'Bearer wrong-token-xyz' } })).status).toBe(401);
    const ok = await request(url, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(ok.body.total_events).toBe(6);
  });
});
