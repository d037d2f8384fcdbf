import { afterEach, describe, expect, it } from 'vitest';
import { diag as otelDiag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bookkeepingFault } from '../../collector/stores/bookkeepingFault.js';
import type { JsonlStore } from '../../collector/stores/JsonlStore.js';
import { buildSummaries } from '../../collector/stores/scan.js';
import type { TelemetryLine } from '../../core/record.js';
import { computeInsights } from '../../query/insights/compute.js';
import { parseInsightsParams } from '../../query/insights/params.js';
import { tmpDir } from '../helpers.js';
import { collector, request, stop, upload, type Answer } from './setup.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

afterEach(() => {
  bookkeepingFault.run = undefined;
  otelDiag.disable();
});

function linesOf(dir: string, scenario: string): TelemetryLine[] {
  return readFileSync(join(dir, `${scenario}.jsonl`), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as TelemetryLine);
}

function storedLines(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir)) if (f.endsWith('.jsonl')) n += linesOf(dir, f.slice(0, -'.jsonl'.length)).length;
  return n;
}

/** Collects what the package writes to OTel diag (the host's logger). */
function captureDiag(): { errors: string[]; debug: string[] } {
  const out = { errors: [] as string[], debug: [] as string[] };
  const logger: DiagLogger = {
    error: (m) => out.errors.push(m),
    warn: () => undefined,
    info: () => undefined,
    debug: (m) => out.debug.push(m),
    verbose: () => undefined,
  };
  otelDiag.setLogger(logger, { logLevel: DiagLogLevel.DEBUG, suppressOverrideMessage: true });
  return out;
}

/** Insights over HTTP equal computeInsights over the scenario's file (same range as the answer applied). */
async function expectInsightsEqualReference(url: string, dir: string, scenario: string, queries: readonly string[]): Promise<void> {
  const lines = linesOf(dir, scenario);
  for (const q of queries) {
    const res = await request(`${url}/api/v1/telemetry/${scenario}/insights?${q}`);
    expect(res.status, `${q}: ${res.text}`).toBe(200);
    const query = parseInsightsParams(scenario, new URLSearchParams(q), Date.parse(res.body.to) - 1);
    query.from = Date.parse(res.body.from);
    query.to = Date.parse(res.body.to);
    expect(res.body, q).toEqual(JSON.parse(JSON.stringify(await computeInsights(query, lines))));
  }
}

describe('JSONL store: the bookkeeping after a write (issue 16)', () => {
  it(
    'stress over HTTP: concurrent uploads of the bench shape with mixed times, duplicates, odd details, many installations and retention recounting meanwhile — every request answered 200, acknowledged = stored, books equal the files',
    { timeout: 120_000 },
    async () => {
      const dir = tmpDir('bookkeeping-stress-');
      // Scan budget 0: an insights answer below comes from the rollups (a fallback scan would be a 422).
      const c = await collector({ dir, insightsScanBytes: 0, maxClockSkewMs: DAY });
      const store = c.store as JsonlStore;
      const now = Date.now();
      // Times that cross the rollups' edges: the bench's fixed past, now, the minute horizon (48 h) from both sides
      // (so minute slots are folded into hours while events for them arrive), far past, the future allowed.
      const times = [Date.UTC(2025, 0, 15, 12, 0, 0), now, now - 48 * HOUR + 30_000, now - 48 * HOUR - 30_000, now - 47 * HOUR, 1000, now + 23 * HOUR, now - 5 * 60_000];
      const odd: unknown[] = ['1.0.0', 2, true, null, ['a'], { nested: 1 }, '', 'x'.repeat(300), 1e300, -0, '__proto__'];
      let seq = 0;
      const body = (client: number, round: number): Record<string, unknown>[] =>
        Array.from({ length: 100 }, (_, i) => {
          const n = seq++;
          const e: Record<string, unknown> = {
            scenario: ['picker-wheel', 'shared-auth', 'Shared-Auth', 'third'][(i + round) % 4],
            deployment_id: i % 7 === 0 ? undefined : `deploy-${i % 3}`,
            event: i % 10 === 9 ? 'dependency_unreachable' : i % 13 === 0 ? `cmd_${n % 50}` : 'app_start',
            timestamp: new Date(times[(i + client + round) % times.length]! + (i % 60) * 1000).toISOString(),
            details: { version: odd[(i + round) % odd.length], platform: i % 5 === 0 ? { os: 'linux' } : 'win-x64', startup_ms: 5000 + i },
            // 12,000 distinct installations over the run: past the exact limit (10,000), so sketches take over.
            installation_id: `inst-${n % 12_000}`,
            id: `c${client}-r${round}-${i}`,
          };
          if (i % 11 === 0) e.level = ['warn', 'error', 'fatal', 'debug'][i % 4];
          return e;
        });
      // Retention beside the uploads: a file of old events is planted and expired again and again, so the books are
      // rebuilt (journal replayed) while batches are counted.
      let sweeps = 0;
      let stopped = false;
      const retention = (async () => {
        while (!stopped) {
          writeFileSync(join(dir, `old-${sweeps}.jsonl`), JSON.stringify({ ts: new Date(now - 90 * DAY).toISOString(), scenario: `old-${sweeps}`, event: 'app_start' }) + '\n');
          const r = await store.expire(now - 30 * DAY);
          if (r.deleted.length > 0) sweeps++;
          await new Promise((res) => setTimeout(res, 5));
        }
      })();
      const answers: Answer[] = [];
      const bodies: Record<string, unknown>[][] = [];
      await Promise.all(
        Array.from({ length: 10 }, async (_, client) => {
          for (let round = 0; round < 12; round++) {
            const b = body(client, round);
            bodies.push(b);
            answers.push(await upload(c, b));
            // A duplicate of this round's upload (the uploader's retry), sometimes at once, sometimes later.
            if (round % 3 === 0) answers.push(await upload(c, b));
          }
        }),
      );
      stopped = true;
      await retention;
      expect(sweeps).toBeGreaterThan(0);
      const failed = answers.filter((a) => a.status !== 200);
      expect(failed.map((a) => `${a.status} ${a.text}`)).toEqual([]);
      const stored = answers.reduce((n, a) => n + (a.body.events_stored as number), 0);
      const duplicates = answers.reduce((n, a) => n + ((a.body.events_duplicate as number | undefined) ?? 0), 0);
      expect(stored).toBe(10 * 12 * 100);
      expect(duplicates).toBe(10 * 4 * 100);
      expect(storedLines(dir)).toBe(stored);
      expect(store.bookkeepingFailures).toBe(0);
      // The live summaries are what a count of the files gives.
      const live = (await request(`${c.url}/api/v1/telemetry`)).body as { scenarios: unknown[] };
      expect(live.scenarios).toEqual(JSON.parse(JSON.stringify(await buildSummaries(dir))));
      const queries = ['from=800d&bucket=week', 'from=800d&bucket=day&by=version', 'from=3d&bucket=hour&by=platform', 'from=3d&bucket=hour&by=level', 'from=60d&bucket=day&by=deployment_id&event=app_start'];
      for (const s of ['picker-wheel', 'shared-auth', 'third']) await expectInsightsEqualReference(c.url, dir, s, queries);
    },
  );

  it('a throw while counting a written batch (forced) still acknowledges it: 200, reported once through diag, counted; the books are whole again after a restart', { timeout: 60_000 }, async () => {
    const dir = tmpDir('bookkeeping-fault-');
    let c = await collector({ dir });
    const store = c.store as JsonlStore;
    const logged = captureDiag();
    bookkeepingFault.run = (scenario) => {
      if (scenario === 'boom') throw new Error('planted bookkeeping bug');
    };
    const batch = (tag: string): Record<string, unknown>[] =>
      Array.from({ length: 100 }, (_, i) => ({
        scenario: i % 2 ? 'boom' : 'fine',
        event: i % 10 === 9 ? 'dependency_unreachable' : 'app_start',
        timestamp: new Date(Date.UTC(2025, 0, 15, 12, 0, i % 60)).toISOString(),
        installation_id: `inst-${i % 7}`,
        details: { version: '1.0.0', platform: 'win-x64' },
        id: `${tag}-${i}`,
      }));
    // Concurrent uploads: they share group-commit batches, all of them answered after the write.
    const first = await Promise.all(['a', 'b', 'c', 'd'].map((t) => upload(c, batch(t))));
    for (const a of first) expect(a.status, a.text).toBe(200);
    expect(first.map((a) => a.body.events_stored)).toEqual([100, 100, 100, 100]);
    expect(storedLines(dir)).toBe(400);
    expect(store.bookkeepingFailures).toBeGreaterThan(0);
    const planted = logged.errors.filter((m) => m.includes('planted bookkeeping bug'));
    expect(planted).toHaveLength(1);
    expect(planted[0]).toMatch(/written to boom's file .* but counting them into the summaries failed/);
    expect(logged.debug.some((m) => m.includes('failed again'))).toBe(store.bookkeepingFailures > 1);

    // The de-duplication window counted them (before the books): the client's retry is all duplicates.
    const retry = await upload(c, batch('a'));
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ events_stored: 0, events_duplicate: 100 });
    expect(storedLines(dir)).toBe(400);
    expect(logged.errors.filter((m) => m.includes('planted bookkeeping bug'))).toHaveLength(1);
    // The books are short of the failed scenario meanwhile (what the README says), the other is exact.
    const live = (await request(`${c.url}/api/v1/telemetry`)).body as { scenarios: { scenario: string; total_events: number }[] };
    expect(live.scenarios.find((s) => s.scenario === 'fine')?.total_events).toBe(200);
    expect(live.scenarios.find((s) => s.scenario === 'boom')?.total_events ?? 0).toBeLessThan(200);

    // At the next start the books are counted from the files: whole again, insights equal to the reference.
    bookkeepingFault.run = undefined;
    await stop(c);
    c = await collector({ dir });
    const again = (await request(`${c.url}/api/v1/telemetry`)).body as { scenarios: { scenario: string; total_events: number }[] };
    expect(again.scenarios.map((s) => [s.scenario, s.total_events])).toEqual([
      ['boom', 200],
      ['fine', 200],
    ]);
    await expectInsightsEqualReference(c.url, dir, 'boom', ['from=2025-01-15T00:00:00Z&to=2025-01-16T00:00:00Z&bucket=hour&by=version']);
  });
});

describe('stored lines with an odd level (issue 16 item 1, found reading the rollups path)', () => {
  it('a line whose level names an Object.prototype member ("constructor", "toString", "__proto__") counts as no level: insights by level answer 200 from the rollups and equal the reference', async () => {
    const dir = tmpDir('odd-level-');
    const ts = (m: number): string => new Date(Date.UTC(2025, 0, 15, 12, m)).toISOString();
    // Written by another tool (or an older release): the collector reads them at start into the rollups.
    writeFileSync(
      join(dir, 'shop.jsonl'),
      [
        { ts: ts(0), scenario: 'shop', event: 'app_start', level: 'constructor' },
        { ts: ts(1), scenario: 'shop', event: 'crash', level: 'toString' },
        { ts: ts(2), scenario: 'shop', event: 'app_start', level: '__proto__' },
        { ts: ts(3), scenario: 'shop', event: 'app_start', level: 'warn' },
      ]
        .map((l) => JSON.stringify(l) + '\n')
        .join(''),
    );
    const c = await collector({ dir, insightsScanBytes: 0 });
    const q = 'from=2025-01-15T00:00:00Z&to=2025-01-16T00:00:00Z&bucket=hour&by=level';
    const res = await request(`${c.url}/api/v1/telemetry/shop/insights?${q}`);
    expect(res.status, res.text).toBe(200);
    expect(res.body.totals).toEqual({ info: 2, error: 1, warn: 1 });
    await expectInsightsEqualReference(c.url, dir, 'shop', [q]);
  });
});

describe('insights rollups: a total memory bound (TELEMETRY_INSIGHTS_MAX_MB, issue 14)', () => {
  it('past the bound the oldest hours leave the rollups: recent ranges still from the rollups, older ones by the scan (422 without budget), all equal to computeInsights, also after a restart', { timeout: 120_000 }, async () => {
    const dir = tmpDir('insights-bound-');
    const hourNow = Math.floor(Date.now() / HOUR) * HOUR;
    // 3,000 hours with one event each (about 2 MiB estimated in the rollups): twice the 1 MiB bound.
    const events = Array.from({ length: 3000 }, (_, h) => ({
      scenario: 'shop',
      event: h % 9 === 0 ? 'crash' : 'app_start',
      timestamp: new Date(hourNow - (h + 1) * HOUR + 60_000).toISOString(),
      installation_id: `inst-${h % 17}`,
      details: { version: `1.${h % 4}`, platform: h % 2 ? 'linux' : 'darwin' },
      id: `e-${h}`,
    }));
    let c = await collector({ dir, insightsMaxMb: 1, insightsScanBytes: 0 });
    for (let i = 0; i < events.length; i += 500) expect((await upload(c, events.slice(i, i + 500))).body.events_stored).toBe(500);
    const recent = ['from=20d&bucket=hour&by=version', 'from=30d&bucket=day&by=level', 'from=14d&bucket=week&by=platform&top=1'];
    const old = ['from=130d&bucket=day&by=version', 'from=125d&to=100d&bucket=week'];
    await expectInsightsEqualReference(c.url, dir, 'shop', recent);
    for (const q of old) {
      // Not in the rollups any more, and no scan budget: refused, naming the range's start and the bound.
      const res = await request(`${c.url}/api/v1/telemetry/shop/insights?${q}`);
      expect(res.status, q).toBe(422);
      expect(res.body.field).toBe('from');
      expect(res.text).toContain('TELEMETRY_INSIGHTS_MAX_MB');
    }
    await stop(c);
    // The same files, counted again at start under the same bound, with a scan budget: every range answered, exact.
    c = await collector({ dir, insightsMaxMb: 1 });
    await expectInsightsEqualReference(c.url, dir, 'shop', [...recent, ...old]);
  });
});
