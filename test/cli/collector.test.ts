import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type AddressInfo } from 'node:net';
import { tmpDir } from '../helpers.js';
import { cli, CliProcess, parseLines, stopAll } from './cliProcess.js';

afterEach(stopAll);

async function serve(args: string[], env: Record<string, string | undefined> = {}): Promise<{ p: CliProcess; url: string; dir: string }> {
  const dir = tmpDir('opt-cli-serve-');
  const p = new CliProcess(['serve', '--port', '0', '--dir', dir, ...args], env);
  const [, url] = await p.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
  await p.waitFor(/data directory: .+\n/);
  return { p, url: url!, dir };
}

async function upload(url: string, events: object[], token?: string): Promise<void> {
  const res = await fetch(`${url}/api/v1/telemetry/upload`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(events),
  });
  expect(res.status).toBe(200);
}

const EVENTS = [
  { scenario: 'picker-wheel', deployment_id: 'deploy-123', event: 'app_start', timestamp: '2025-01-15T12:00:00Z', details: { version: '1.0.0' }, id: 'u1' },
  { scenario: 'picker-wheel', event: 'dependency_unreachable', timestamp: '2025-01-15T12:05:00Z', details: { service: 'sqlite', reason: 'connection timeout' }, id: 'u2' },
  { scenario: 'picker-wheel', event: 'migration_failed', timestamp: '2025-01-15T12:06:00Z', details: { error: 'locked' }, id: 'u3' },
  { scenario: 'picker-wheel', event: 'ready', timestamp: '2025-01-15T12:07:00Z', details: { startup_ms: 5000 }, id: 'u4' },
  { scenario: 'shared-auth', event: 'app_start', timestamp: '2025-01-15T12:08:00Z', id: 'u5' },
];

describe('serve and reading from a live collector', () => {
  it('serve prints address and data dir; logs --url and summary --url give what the files give; SIGTERM exits 0', { timeout: 180_000 }, async () => {
    const { p, url, dir } = await serve([]);
    expect(p.stdout).toContain(`data directory: ${dir}`);
    await upload(url, EVENTS);

    // Each filter's server side is covered in eventsRoute.test.ts; here the CLI over HTTP equals the CLI over files.
    for (const filters of [[], ['--level', 'error', '--tail', '1'], ['--search', 'sqlite', '--since', '2025-01-15T12:05:00Z'], ['--event', 'ready,app_start', '--limit', '1']]) {
      const [remote, local] = await Promise.all([
        cli(['logs', 'picker-wheel', '--url', url, '--format', 'jsonl', ...filters]),
        cli(['logs', 'picker-wheel', '--dir', dir, '--format', 'jsonl', ...filters]),
      ]);
      expect(remote.code, filters.join(' ')).toBe(0);
      expect(remote.stdout, filters.join(' ')).toBe(local.stdout);
      expect(remote.stdout.length, filters.join(' ')).toBeGreaterThan(0);
    }
    const errors = await cli(['logs', 'picker-wheel', '--url', url, '--format', 'jsonl', '--level', 'error']);
    expect(parseLines(errors.stdout).map((o) => o.id)).toEqual(['u2', 'u3']);

    const api = (await (await fetch(`${url}/api/v1/telemetry`)).json()) as { total_scenarios: number };
    expect(api.total_scenarios).toBe(2);
    const [remoteSummary, offlineSummary] = await Promise.all([cli(['summary', '--url', url, '--format', 'json']), cli(['summary', '--dir', dir, '--format', 'json'])]);
    expect(JSON.parse(remoteSummary.stdout)).toEqual(api);
    expect(JSON.parse(offlineSummary.stdout)).toEqual(api);
    const one = await cli(['summary', 'picker-wheel', '--url', url, '--format', 'json']);
    expect(JSON.parse(one.stdout)).toEqual(await (await fetch(`${url}/api/v1/telemetry/picker-wheel`)).json());
    const table = await cli(['summary', 'picker-wheel', '--dir', dir]);
    expect(table.stdout).toMatch(/^SCENARIO\s+EVENTS\s+LAST EVENT\s+FAILURES\npicker-wheel\s+4\s+2025-01-15T12:07:00\.000Z\s+dependency_unreachable 1, migration_failed 1\n/);
    expect(table.stdout).toMatch(/Recent failures[\s\S]*2025-01-15T12:06:00\.000Z\s+migration_failed[\s\S]*2025-01-15T12:05:00\.000Z\s+dependency_unreachable/);
    const unknown = await cli(['summary', 'nope', '--url', url]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/has no events for scenario "nope"/);

    const exit = await p.stop('SIGTERM');
    expect(exit.code).toBe(0);
    expect(p.stdout).toMatch(/collector stopped\n$/);
  });

  it('logs --url --follow streams new uploads until stopped; the collector still stops promptly on SIGINT', { timeout: 120_000 }, async () => {
    const { p, url } = await serve([]);
    await upload(url, EVENTS.slice(0, 2));
    const f = new CliProcess(['logs', 'picker-wheel', '--url', url, '--follow', '--format', 'jsonl', '--level', 'error']);
    await f.waitFor(/"u2"/);
    await upload(url, EVENTS.slice(2));
    await f.waitFor(/"u3"/);
    expect(parseLines(f.stdout).map((o) => o.id)).toEqual(['u2', 'u3']);
    expect((await f.stop('SIGINT')).code).toBe(0);

    const g = new CliProcess(['logs', 'picker-wheel', '--url', url, '--follow', '--format', 'jsonl', '--tail', '1']);
    await g.waitFor(/"u4"/);
    const stopped = await p.stop('SIGINT');
    expect(stopped.code).toBe(0);
    expect((await g.wait()).code).toBe(0);
    expect(g.stderr).toMatch(/ended the stream/);
  });

  it('a token set by flag is required by the routes, and given to logs/summary by flag or TELEMETRY_AUTH_TOKEN', { timeout: 120_000 }, async () => {
    const token = 'test-token-1234';
    const { p, url } = await serve(['--token', token]);
    await upload(url, EVENTS.slice(0, 1), token);
    const denied = await cli(['logs', 'picker-wheel', '--url', url]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/401 Unauthorized: pass --token or set TELEMETRY_AUTH_TOKEN/);
    const byFlag = await cli(['logs', 'picker-wheel', '--url', url, '--token', token, '--format', 'jsonl']);
    expect(parseLines(byFlag.stdout).map((o) => o.id)).toEqual(['u1']);
    const byEnv = await cli(['summary', '--url', url, '--format', 'json'], { TELEMETRY_AUTH_TOKEN: token });
    expect((JSON.parse(byEnv.stdout) as { total_scenarios: number }).total_scenarios).toBe(1);
    expect((await p.stop()).code).toBe(0);
  });

  it('flags override the environment; bad settings exit 2, a busy port exits 1', { timeout: 120_000 }, async () => {
    const envDir = tmpDir('opt-cli-envdir-');
    const { p, dir } = await serve([], { TELEMETRY_PORT: '1', TELEMETRY_DIR: envDir });
    expect(p.stdout).toContain(`data directory: ${dir}`);
    expect((await p.stop()).code).toBe(0);

    const open = await cli(['serve', '--host', '0.0.0.0', '--port', '0', '--dir', envDir]);
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without TELEMETRY_AUTH_TOKEN/);

    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const busy = await cli(['serve', '--port', String((blocker.address() as AddressInfo).port), '--dir', envDir]);
      expect(busy.code).toBe(1);
      expect(busy.stderr).toMatch(/the collector could not start: could not listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
