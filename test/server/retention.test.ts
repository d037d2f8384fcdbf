import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../helpers.js';
import { buildSummaries, JsonlStore } from '../../collector/stores/index.js';
import { CliProcess, stopAll } from '../cli/cliProcess.js';

afterEach(stopAll);

const DAY = 86_400_000;
const iso = (msAgo: number): string => new Date(Date.now() - msAgo).toISOString();
const line = (scenario: string, event: string, ts: string, id: string): string => JSON.stringify({ ts, scenario, event, id }) + '\n';

async function waitUntil(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('retention by age (TELEMETRY_RETENTION_DAYS), JSONL store', () => {
  it('deletes whole files whose newest event is older, keeps files with one newer event, and the summaries count what is kept', { timeout: 120_000 }, async () => {
    const dir = tmpDir('opt-retention-');
    const rotated = Date.now() - 40 * DAY;
    // web: an old rotated segment (deleted) and an active file with one old and one new event (kept whole)
    writeFileSync(join(dir, `web.jsonl.${rotated}`), line('web', 'app_start', iso(45 * DAY), 'w1') + line('web', 'crash', iso(41 * DAY), 'w2'));
    writeFileSync(join(dir, 'web.jsonl'), line('web', 'app_start', iso(50 * DAY), 'w3') + line('web', 'ready', iso(DAY), 'w4'));
    // gone: an active file with only old events (deleted: the scenario leaves the summaries)
    writeFileSync(join(dir, 'gone.jsonl'), line('gone', 'crash', iso(31 * DAY), 'g1') + line('gone', 'app_start', iso(60 * DAY), 'g2'));
    // mixed: a segment with one recent event (kept); undated: a line without a time (age unknown: kept)
    writeFileSync(join(dir, `mixed.jsonl.${rotated}`), line('mixed', 'app_start', iso(90 * DAY), 'm1') + line('mixed', 'crash', iso(2 * DAY), 'm2'));
    writeFileSync(join(dir, 'undated.jsonl'), JSON.stringify({ scenario: 'undated', event: 'app_start', id: 'u1' }) + '\n' + line('undated', 'crash', iso(99 * DAY), 'u2'));

    const p = new CliProcess(['serve', '--port', '0', '--dir', dir], { TELEMETRY_RETENTION_DAYS: '30' });
    const [, url] = await p.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    await waitUntil(() => !existsSync(join(dir, 'gone.jsonl')) && !existsSync(join(dir, `web.jsonl.${rotated}`)), 'expired files to be deleted');
    expect(readdirSync(dir).filter((n) => n.includes('.jsonl')).sort()).toEqual([`mixed.jsonl.${rotated}`, 'undated.jsonl', 'web.jsonl']);

    type Summaries = { scenarios: { scenario: string; total_events: number; failure_counts: Record<string, number> }[] };
    let api: Summaries = { scenarios: [] };
    for (let i = 0; i < 100; i++) {
      api = (await (await fetch(`${url}/api/v1/telemetry`)).json()) as Summaries;
      if (!api.scenarios.some((s) => s.scenario === 'gone')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const totals = Object.fromEntries(api.scenarios.map((s) => [s.scenario, s.total_events]));
    expect(totals).toEqual({ mixed: 2, undated: 2, web: 2 });
    expect(api.scenarios.find((s) => s.scenario === 'web')!.failure_counts).toEqual({});
    // The same numbers an offline count of the files gives.
    expect(JSON.parse(JSON.stringify(await buildSummaries(dir)))).toEqual(api.scenarios);

    // The deleted active file is written again from scratch (no write into the unlinked inode).
    const res = await fetch(`${url}/api/v1/telemetry/upload`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ scenario: 'gone', event: 'app_start', timestamp: iso(0), id: 'g3' }]) });
    expect(res.status).toBe(200);
    expect(existsSync(join(dir, 'gone.jsonl'))).toBe(true);
    const gone = (await (await fetch(`${url}/api/v1/telemetry/gone`)).json()) as { total_events: number };
    expect(gone.total_events).toBe(1);
    expect((await p.stop()).code).toBe(0);
  });

  it('without TELEMETRY_RETENTION_DAYS nothing is deleted', { timeout: 60_000 }, async () => {
    const dir = tmpDir('opt-retention-off-');
    writeFileSync(join(dir, 'old.jsonl'), line('old', 'crash', iso(3650 * DAY), 'o1'));
    const p = new CliProcess(['serve', '--port', '0', '--dir', dir]);
    const [, url] = await p.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    await new Promise((r) => setTimeout(r, 500));
    expect(existsSync(join(dir, 'old.jsonl'))).toBe(true);
    expect(((await (await fetch(`${url}/api/v1/telemetry/old`)).json()) as { total_events: number }).total_events).toBe(1);
    expect((await p.stop()).code).toBe(0);
  });

  it('an active file the store has open is closed before deletion: the next event goes into a new file', async () => {
    const dir = tmpDir('opt-retention-open-');
    const store = new JsonlStore({ dir });
    await store.open();
    const old = Date.now() - 40 * DAY;
    await store.append([{ scenario: 'app', event: 'crash', timestamp: old, id: 'a1' }]);
    await store.append([{ scenario: 'keep', event: 'app_start', timestamp: Date.now(), id: 'k1' }]);
    const r = await store.expire(Date.now() - 30 * DAY);
    expect(r.deleted).toEqual([join(dir, 'app.jsonl')]);
    expect((await store.summaries()).map((s) => s.scenario)).toEqual(['keep']);
    await store.append([{ scenario: 'app', event: 'ready', timestamp: Date.now(), id: 'a2' }]);
    expect(readFileSync(join(dir, 'app.jsonl'), 'utf8')).toMatch(/^\{[^\n]*"id":"a2"\}\n$/);
    expect((await store.summary('app'))!.total_events).toBe(1);
    expect((await store.expire(Date.now() - 30 * DAY)).deleted).toEqual([]);
    await store.close();
  });
});
