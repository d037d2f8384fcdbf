/**
 * The collector with `TELEMETRY_STORE=clickhouse`, end to end against a real ClickHouse server: uploads (JSON, NDJSON,
 * appcd) → summaries → events (what `logs --url` reads), the CLI's `summary --url` and `logs --url`, and a collector
 * process started from the environment alone that keeps its numbers across a SIGTERM restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cli, parseLines } from '../cli/cliProcess.js';
import { ROOT, SERVE_ARGS, tmpDir } from '../helpers.js';
import { collector, request, stop, upload } from '../server/setup.js';
import { clickhouseUrl, dropDatabase, uniqueDatabase } from './clickhouse.js';

const url = clickhouseUrl('collector.test.ts');
const database = uniqueDatabase('collector');
let tables = 0;
afterAll(() => dropDatabase(url, database));

function clickhouseEnv(table: string): Record<string, string> {
  return { TELEMETRY_CLICKHOUSE_URL: url!, TELEMETRY_CLICKHOUSE_DATABASE: database, TELEMETRY_CLICKHOUSE_TABLE: table };
}

const children = new Set<ChildProcess>();
afterEach(() => {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
});

/** The collector as its own process (the CLI's `serve`), configured by environment variables only. */
async function startProcess(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; out: () => string; exited: Promise<number | null> }> {
  const clean: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(TELEMETRY_|OTEL_|VITEST|NODE_OPTIONS$)/.test(k)) clean[k] = v;
  const child = spawn(process.execPath, [...SERVE_ARGS], { cwd: ROOT, env: { ...clean, NO_COLOR: '1', ...env } as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) return { child, url: m[1]!, out: () => out, exited };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`collector did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(url === undefined)('collector with TELEMETRY_STORE=clickhouse', () => {
  it('uploads → summaries → events, the same routes and shapes as with JSONL files', async () => {
    const table = `routes_${++tables}`;
    const dir = tmpDir('opt-ch-collector-');
    const c = await collector({ store: 'clickhouse', dir, env: clickhouseEnv(table) });
    expect(c.store.kind).toBe('clickhouse');

    const json = await upload(c, [
      { scenario: 'picker-wheel', event: 'app_start', timestamp: '2025-01-15T12:00:00.000Z', deployment_id: 'deploy-123', details: { version: '1.0.0' }, id: 'u-1' },
      { scenario: 'picker-wheel', event: 'dependency_unreachable', timestamp: '2025-01-15T12:00:01.000Z', details: { dependency: 'postgres' }, id: 'u-2' },
      { scenario: 'picker-wheel', event: 'no_time' },
      { scenario: '../../etc/passwd', event: 'evil' },
    ]);
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({ status: 'accepted', events_received: 4, events_stored: 3 });
    expect(json.body.errors).toHaveLength(1);
    expect(json.body.errors[0].index).toBe(3);

    const ndjson = await upload(
      c,
      [
        JSON.stringify({ scenario: 'picker-wheel', event: 'migration_failed', timestamp: '2025-01-15T12:00:02.000Z', id: 'u-3' }),
        JSON.stringify({ scenario: 'picker-wheel', event: 'app_start', timestamp: '2025-01-15T12:00:00.000Z', id: 'u-1' }),
        '{not json',
        JSON.stringify({ scenario: 'other', event: 'app_start', timestamp: '2025-01-15T11:00:00.000Z', id: 'o-1' }),
      ].join('\n'),
      { headers: { 'content-type': 'application/x-ndjson' } },
    );
    expect(ndjson.status).toBe(200);
    expect(ndjson.body).toMatchObject({ status: 'accepted', events_received: 4, events_stored: 2, events_duplicate: 1 });

    const appcd = await request(`${c.url}/appcd/telemetry`, { json: { event: 'app.launch', app: 'guid-1', scenario: 'other' } });
    expect(appcd.status).toBe(201);

    const all = await request(`${c.url}/api/v1/telemetry`);
    expect(all.status).toBe(200);
    expect(all.body.total_scenarios).toBe(2);
    expect(all.body.scenarios.map((s: { scenario: string; total_events: number }) => [s.scenario, s.total_events])).toEqual([
      ['other', 2],
      ['picker-wheel', 4],
    ]);
    const one = await request(`${c.url}/api/v1/telemetry/picker-wheel`);
    expect(one.body).toMatchObject({
      scenario: 'picker-wheel',
      total_events: 4,
      failure_counts: { dependency_unreachable: 1, migration_failed: 1 },
      recent_failures: [
        { timestamp: '2025-01-15T12:00:02.000Z', event: 'migration_failed' },
        { timestamp: '2025-01-15T12:00:01.000Z', event: 'dependency_unreachable', details: { dependency: 'postgres' } },
      ],
    });
    expect((await request(`${c.url}/api/v1/telemetry/nope`)).status).toBe(404);

    const events = await request(`${c.url}/api/v1/telemetry/picker-wheel/events?until=2025-01-15T12:00:01.000Z`);
    expect(events.status).toBe(200);
    expect(events.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = parseLines(events.text);
    expect(lines.map((l) => l.id)).toEqual(['u-1', 'u-2']);
    expect(lines[0]).toEqual({ ts: '2025-01-15T12:00:00.000Z', scenario: 'picker-wheel', deployment_id: 'deploy-123', event: 'app_start', details: { version: '1.0.0' }, id: 'u-1' });
    const failures = parseLines((await request(`${c.url}/api/v1/telemetry/picker-wheel/events?level=error&tail=1`)).text);
    expect(failures.map((l) => l.event)).toEqual(['migration_failed']);
    // A limit without other filters is the store's (its paged read); with a level filter the matcher's.
    const stored = parseLines((await request(`${c.url}/api/v1/telemetry/picker-wheel/events`)).text);
    expect(stored).toHaveLength(4);
    expect(parseLines((await request(`${c.url}/api/v1/telemetry/picker-wheel/events?limit=3`)).text)).toEqual(stored.slice(0, 3));
    expect(parseLines((await request(`${c.url}/api/v1/telemetry/picker-wheel/events?limit=1&level=error`)).text).map((l) => l.event)).toEqual(['dependency_unreachable']);
    expect((await request(`${c.url}/api/v1/telemetry/nope/events`)).status).toBe(404);
    expect((await request(`${c.url}/api/v1/telemetry/picker-wheel/events?follow=true`)).status).toBe(501);

    // The CLI reads the ClickHouse store through the collector.
    const summary = await cli(['summary', '--url', c.url, '--format', 'json']);
    expect(summary.code, summary.stderr).toBe(0);
    expect(JSON.parse(summary.stdout)).toEqual(all.body);
    const logs = await cli(['logs', 'picker-wheel', '--url', c.url, '--format', 'jsonl', '--event', 'app_start,migration_failed']);
    expect(logs.code, logs.stderr).toBe(0);
    expect(parseLines(logs.stdout).map((l) => l.id)).toEqual(['u-1', 'u-3']);

    // Nothing went to the data dir: the events are in ClickHouse.
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(dir).filter((f) => f.endsWith('.jsonl'))).toEqual([]);

    // A restart on the same table shows the same numbers.
    await stop(c);
    const again = await collector({ store: 'clickhouse', dir, env: clickhouseEnv(table) });
    expect((await request(`${again.url}/api/v1/telemetry`)).body).toEqual(all.body);
  });

  it('a collector process configured by environment only: upload, SIGTERM, restart, same summary', async () => {
    const table = `process_${++tables}`;
    const env = { ...clickhouseEnv(table), TELEMETRY_STORE: 'clickhouse', TELEMETRY_PORT: '0', TELEMETRY_DIR: tmpDir('opt-ch-proc-') };
    const first = await startProcess(env);
    const body = Array.from({ length: 300 }, (_, i) => ({ scenario: 'proc', event: i % 10 === 0 ? 'crash' : 'tick', timestamp: new Date(Date.UTC(2025, 0, 15, 12) + i * 1000).toISOString(), id: `p-${i}` }));
    const up = await request(`${first.url}/api/v1/telemetry/upload`, { json: body });
    expect(up.body).toEqual({ status: 'accepted', events_received: 300, events_stored: 300 });
    const before = (await request(`${first.url}/api/v1/telemetry/proc`)).body;
    expect(before).toMatchObject({ total_events: 300, failure_counts: { crash: 30 } });
    expect(before.recent_failures).toHaveLength(10);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = await startProcess(env);
    expect((await request(`${second.url}/api/v1/telemetry/proc`)).body).toEqual(before);
    const dup = await request(`${second.url}/api/v1/telemetry/upload`, { json: body.slice(0, 50) });
    expect(dup.body).toEqual({ status: 'accepted', events_received: 50, events_stored: 0, events_duplicate: 50 });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('refuses to start with a bad ClickHouse setting, naming the variable', async () => {
    const err = await collector({ store: 'clickhouse', env: { TELEMETRY_CLICKHOUSE_TABLE: 'events; DROP TABLE x' } }).then(() => undefined, (e: unknown) => e);
    expect((err as Error).message).toContain('TELEMETRY_CLICKHOUSE_TABLE');
  });
});
