import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TelemetryLine } from '../../core/record.js';
import type { InsightsAnswer } from '../../query/insights/types.js';
import { cleanEnv, ROOT, tmpDir } from '../helpers.js';
import { argsOf, BUILT, CASES, expected, insights, linesOf, makeEvents, NEUTRAL, random, skipBuilt } from './insightsData.js';

// `insights --url`: the built CLI against the built collector (`serve`) over loopback, with a token; the answers equal
// the route's body, computeInsights over the lines the collector stored, and the CLI reading the collector's dir.

describe.skipIf(skipBuilt !== undefined)('insights --url against a real collector over loopback', { timeout: 240_000 }, () => {
  const dir = tmpDir('opt-cli-insights-collector-');
  const token = 'insights-test-token-0123456789';
  let collector: ChildProcess;
  let url = '';
  let lines: TelemetryLine[] = [];

  beforeAll(async () => {
    collector = spawn(process.execPath, [BUILT, 'serve', '--port', '0', '--host', '127.0.0.1', '--dir', dir], { cwd: ROOT, env: cleanEnv({ ...NEUTRAL, NO_COLOR: '1', TELEMETRY_AUTH_TOKEN: token }), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    collector.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`collector did not start: ${out}`)), 30_000);
      collector.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      collector.on('exit', (code) => reject(new Error(`collector exited ${code}: ${out}`)));
    });
    // 40 installations upload their events, as the uploader does (NDJSON would do as well).
    const rnd = random(7);
    const events = makeEvents(1200, 11).map((e, i) => {
      const { event, timestamp, deployment_id, ...details } = e;
      return { scenario: 'picker-wheel', event, timestamp, ...(deployment_id ? { deployment_id } : {}), installation_id: `00000000-0000-4000-8000-${String(Math.floor(rnd() * 40)).padStart(12, '0')}`, details, id: `ev-${i}` };
    });
    for (let i = 0; i < events.length; i += 300) {
      const res = await fetch(`${url}/api/v1/telemetry/upload`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(events.slice(i, i + 300)) });
      expect(res.status).toBe(200);
    }
    const stored = readdirSync(dir).filter((n) => /^picker-wheel\.jsonl/.test(n)).map((n) => join(dir, n));
    lines = linesOf(stored);
    expect(lines).toHaveLength(1200);
  });

  afterAll(async () => {
    if (collector === undefined || collector.exitCode !== null) return;
    const exited = new Promise((resolve) => collector.once('exit', resolve));
    collector.kill('SIGTERM');
    await exited;
  });

  it.each(CASES.map((c) => [argsOf(c).join(' '), c] as const))('--url --format json %s = the route = computeInsights over the stored lines = --dir', async (_, params) => {
    const r = await insights(['picker-wheel', '--url', url, '--format', 'json', ...argsOf(params)], { TELEMETRY_AUTH_TOKEN: token });
    expect(r.code, r.stderr).toBe(0);
    const answer = JSON.parse(r.stdout) as InsightsAnswer;
    expect(answer).toEqual(await expected('picker-wheel', params, lines));
    const query = new URLSearchParams(params as Record<string, string>);
    const route = await fetch(`${url}/api/v1/telemetry/picker-wheel/insights?${query}`, { headers: { authorization: `Bearer ${token}` } });
    expect(route.status).toBe(200);
    expect(answer).toEqual(await route.json());
    const local = await insights(['picker-wheel', '--dir', dir, '--format', 'json', ...argsOf(params)]);
    expect(JSON.parse(local.stdout)).toEqual(answer);
  });

  it('the token: --token or TELEMETRY_AUTH_TOKEN as a bearer header; without it, exit 1 saying so', async () => {
    const args = ['picker-wheel', '--url', url, '--since', '2025-01-01', '--until', '2025-01-21', '--by', 'version'];
    const none = await insights(args);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`the collector at ${url} answered 401 Unauthorized: pass --token or set TELEMETRY_AUTH_TOKEN`);
    const wrong = await insights([...args, '--token', 'nope'], { TELEMETRY_AUTH_TOKEN: token });
    expect(wrong.code).toBe(1);
    const flag = await insights([...args, '--token', token, '--format', 'chart']);
    expect(flag.code, flag.stderr).toBe(0);
    const a = await expected('picker-wheel', { from: '2025-01-01', to: '2025-01-21', by: 'version' }, lines);
    expect(flag.stdout).toMatch(new RegExp(`^installations .* ${a.installations.count}$`, 'm'));
    expect(a.installations.count).toBe(40);
  });

  it('an unknown scenario, or a collector that is not there, is a runtime error (exit 1)', async () => {
    const unknown = await insights(['nothing-here', '--url', url], { TELEMETRY_AUTH_TOKEN: token });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(new RegExp(`error: the collector at ${url.replace(/\./g, '\\.')} has no events for scenario "nothing-here"`));
    // A port nothing listens on: bound, then released.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const down = await insights(['picker-wheel', '--url', `http://127.0.0.1:${port}`]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`cannot reach the collector at http://127.0.0.1:${port}: ECONNREFUSED`);
  });
});
