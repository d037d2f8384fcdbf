import { describe, expect, it } from 'vitest';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSummaries } from '../../collector/index.js';
import { tmpDir } from '../helpers.js';
import { collector, request, stop, upload } from './setup.js';

const at = (sec: number): string => new Date(Date.UTC(2025, 0, 15, 14, 0, sec)).toISOString();

describe('GET /api/v1/telemetry', () => {
  it('summarises per scenario: totals, last event, failure counts, newest 10 failures newest first', async () => {
    const c = await collector();
    const events: Record<string, unknown>[] = [];
    // 14 failures in shuffled time order, plus usage events; the newest event is a usage event.
    const order = [3, 11, 0, 7, 13, 5, 1, 9, 12, 2, 8, 4, 10, 6];
    for (const i of order) events.push({ scenario: 'picker-wheel', event: i % 2 ? 'dependency_unreachable' : 'migration_failed', timestamp: at(i), details: { n: i } });
    events.push({ scenario: 'picker-wheel', event: 'app_start', timestamp: at(30) });
    events.push({ scenario: 'shared-auth', event: 'app_start', timestamp: at(20) });
    expect((await upload(c, events)).body.events_stored).toBe(16);

    const res = await request(`${c.url}/api/v1/telemetry`);
    expect(res.status).toBe(200);
    expect(res.body.total_scenarios).toBe(2);
    expect(res.body.scenarios.map((s: { scenario: string }) => s.scenario)).toEqual(['picker-wheel', 'shared-auth']);
    const pw = res.body.scenarios[0];
    expect(Object.keys(pw)).toEqual(['scenario', 'total_events', 'last_event', 'failure_counts', 'recent_failures']);
    expect(pw.total_events).toBe(15);
    expect(pw.last_event).toBe('2025-01-15T14:00:30.000Z');
    expect(pw.failure_counts).toEqual({ dependency_unreachable: 7, migration_failed: 7 });
    expect(pw.recent_failures).toHaveLength(10);
    expect(pw.recent_failures.map((f: { details: { n: number } }) => f.details.n)).toEqual([13, 12, 11, 10, 9, 8, 7, 6, 5, 4]);
    expect(pw.recent_failures[0]).toEqual({ timestamp: '2025-01-15T14:00:13.000Z', event: 'dependency_unreachable', details: { n: 13 } });
    expect(res.body.scenarios[1]).toEqual({ scenario: 'shared-auth', total_events: 1, last_event: '2025-01-15T14:00:20.000Z', failure_counts: {}, recent_failures: [] });

    const one = await request(`${c.url}/api/v1/telemetry/shared-auth`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(res.body.scenarios[1]);
    const missing = await request(`${c.url}/api/v1/telemetry/nope`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ status: 'error', code: 'OPT_ERR_NOT_FOUND' });
    // (fetch resolves a literal %2e%2e segment itself; an encoded slash reaches the server)
    const unsafe = await request(`${c.url}/api/v1/telemetry/..%2Fetc`);
    expect(unsafe.status).toBe(400);
    expect(unsafe.body.code).toBe('OPT_ERR_SCENARIO');
  });

  it('shows the same numbers after a restart (rebuilt from the files), and the offline builder agrees', async () => {
    const dir = tmpDir('restart-');
    const first = await collector({ dir });
    await upload(first, [
      { scenario: 'a', event: 'crash', timestamp: at(1), details: { message: 'x' } },
      { scenario: 'a', event: 'app_start', timestamp: at(2) },
      { scenario: 'a', event: 'health_check_failed', timestamp: at(2), details: { service: 'db' } },
      { scenario: 'b', event: 'secrets_missing', timestamp: at(3) },
    ]);
    await upload(first, '{"scenario":"a","event":"readiness_timeout","timestamp":"2025-01-15T14:00:02Z","details":{}}\n', { headers: { 'content-type': 'application/x-ndjson' } });
    const before = (await request(`${first.url}/api/v1/telemetry`)).body;
    await stop(first);

    const second = await collector({ dir });
    const after = (await request(`${second.url}/api/v1/telemetry`)).body;
    expect(after).toEqual(before);
    expect(JSON.stringify(after)).toBe(JSON.stringify(before));
    expect(await buildSummaries(dir)).toEqual(before.scenarios);

    // And they keep counting from there.
    await upload(second, [{ scenario: 'b', event: 'secrets_missing', timestamp: at(4) }]);
    const b = (await request(`${second.url}/api/v1/telemetry/b`)).body;
    expect(b.total_events).toBe(2);
    expect(b.failure_counts).toEqual({ secrets_missing: 2 });
  });

  it('skips torn and invalid lines when rebuilding', async () => {
    const dir = tmpDir('torn-');
    writeFileSync(join(dir, 'x.jsonl'), '{"ts":"2025-01-15T14:00:00.000Z","scenario":"x","event":"crash","id":"1"}\nnot json\n{"ts":"2025-01-15T14:00:01.000Z","scenario":"x","event":"app_start","id":"2"}\n');
    appendFileSync(join(dir, 'x.jsonl'), '{"ts":"2025-01-15T14:00:02.000Z","scena');
    writeFileSync(join(dir, 'not a scenario.jsonl'), '{"event":"ignored"}\n');
    const c = await collector({ dir });
    const x = (await request(`${c.url}/api/v1/telemetry/x`)).body;
    expect(x).toEqual({ scenario: 'x', total_events: 2, last_event: '2025-01-15T14:00:01.000Z', failure_counts: { crash: 1 }, recent_failures: [{ timestamp: '2025-01-15T14:00:00.000Z', event: 'crash' }] });
    expect((await request(`${c.url}/api/v1/telemetry`)).body.total_scenarios).toBe(1);
    // The torn tail is terminated before the next append, so the new line is intact.
    expect((await upload(c, [{ scenario: 'x', event: 'after' }])).body.events_stored).toBe(1);
    expect((await request(`${c.url}/api/v1/telemetry/x`)).body.total_events).toBe(3);
  });

  it('remembers stored ids across a restart (duplicates detected after restart)', async () => {
    const dir = tmpDir('dedup-restart-');
    const first = await collector({ dir });
    await upload(first, [{ scenario: 'r', event: 'a', id: 'retry-me' }]);
    await stop(first);
    const second = await collector({ dir });
    const res = await upload(second, [{ scenario: 'r', event: 'a', id: 'retry-me' }]);
    expect(res.body).toEqual({ status: 'accepted', events_received: 1, events_stored: 0, events_duplicate: 1 });
  });

  it('uses the configured failure set', async () => {
    const c = await collector({ failureEvents: ['oops'], recentFailures: 1 });
    await upload(c, [
      { scenario: 'f', event: 'oops', timestamp: at(1) },
      { scenario: 'f', event: 'oops', timestamp: at(2) },
      { scenario: 'f', event: 'crash', timestamp: at(3) },
    ]);
    const f = (await request(`${c.url}/api/v1/telemetry/f`)).body;
    expect(f.failure_counts).toEqual({ oops: 2 });
    expect(f.recent_failures).toEqual([{ timestamp: at(2), event: 'oops' }]);
  });
});
