import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { runNode, tmpDir, ROOT } from '../helpers.js';
import { readUploadState } from '../../exporters/upload/state.js';
import { duplicates, inProcessCollector, range, storedIds, UPLOAD_PATH } from './collector.js';
import { freePort, startTestEndpoint, type TestEndpoint } from './endpoint.js';
import { startProcess, type RunningProcess } from './processes.js';

const client = join(ROOT, 'test/upload/fixtures/client.ts');
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function clientEnv(dir: string, url: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    TELEMETRY_ENABLED: 'true',
    TELEMETRY_DIR: dir,
    TELEMETRY_SCENARIO: 'e2e-app',
    TELEMETRY_FLUSH_INTERVAL_MS: '20',
    TELEMETRY_UPLOAD_URL: url,
    TELEMETRY_UPLOAD_INTERVAL_MS: '50',
    TELEMETRY_UPLOAD_BACKOFF_MS: '50',
    TELEMETRY_UPLOAD_MAX_BACKOFF_MS: '300',
    TELEMETRY_UPLOAD_TIMEOUT_MS: '3000',
    TELEMETRY_REPORT_INTERVAL_MS: '86400000',
    ...extra,
  };
}

describe('upload end to end: a real app process, the real collector, real HTTP on 127.0.0.1', () => {
  for (const [format, gzip] of [['json', 'true'], ['ndjson', 'false'], ['ndjson', 'true']] as const) {
    it(`delivers every event once (${format}, gzip ${gzip}, bearer token)`, async () => {
      const serverDir = tmpDir();
      const collector = await inProcessCollector(serverDir, { authToken: 'e2e-token-123' });
      cleanups.push(() => collector.close());
      const dir = tmpDir();
      const r = await runNode(client, {
        env: clientEnv(dir, collector.url + UPLOAD_PATH, { TELEMETRY_UPLOAD_FORMAT: format, TELEMETRY_UPLOAD_GZIP: gzip, TELEMETRY_UPLOAD_TOKEN: 'e2e-token-123', CLIENT_EVENTS: '120', CLIENT_WAIT_DELIVERED: '1' }),
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const ids = storedIds(serverDir).filter((id) => id.startsWith('c-'));
      expect(ids.sort()).toEqual(range('c', 120).sort());
      const state = readUploadState(dir)!;
      expect(state.gzip).toBe(gzip === 'true');
      expect(state.pending_bytes).toBe(0);
      expect(state.sent_events).toBeGreaterThanOrEqual(120);
    });
  }

  it('a wrong token is not the events\' fault: nothing is quarantined, the events wait for a fixed token', async () => {
    const serverDir = tmpDir();
    const collector = await inProcessCollector(serverDir, { authToken: 'right-token-123' });
    cleanups.push(() => collector.close());
    const dir = tmpDir();
    const env = clientEnv(dir, collector.url + UPLOAD_PATH, { TELEMETRY_SHUTDOWN_TIMEOUT_MS: '500', CLIENT_EVENTS: '10' });
    const first = await runNode(client, { env: { ...env, TELEMETRY_UPLOAD_TOKEN: 'wrong-token-123' } });
    expect(first.code).toBe(0);
    expect(storedIds(serverDir)).toEqual([]);
    expect(readUploadState(dir)!.last_error).toContain('401');
    const second = await runNode(client, { env: { ...env, CLIENT_EVENTS: '0', CLIENT_WAIT_DELIVERED: '1', TELEMETRY_UPLOAD_TOKEN: 'right-token-123' } });
    expect(second.code).toBe(0);
    expect(storedIds(serverDir).filter((id) => id.startsWith('c-')).sort()).toEqual(range('c', 10).sort());
  });

  it('endpoint down for a while, then up on the same address: every event arrives once', async () => {
    const port = await freePort();
    const dir = tmpDir();
    const stopFile = join(tmpDir(), 'stop');
    const app: RunningProcess = startProcess(client, clientEnv(dir, `http://127.0.0.1:${port}${UPLOAD_PATH}`, { CLIENT_EVENTS: '200', CLIENT_PACE_MS: '2', CLIENT_UNTIL_FILE: stopFile, CLIENT_WAIT_MS: '30000' }));
    cleanups.push(() => app.kill());
    await app.waitForOutput(/emitted-all 200/);
    // the app has been failing to reach the endpoint (connection refused) and backing off
    const serverDir = tmpDir();
    const collector = await inProcessCollector(serverDir, { port });
    cleanups.push(() => collector.close());
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && storedIds(serverDir).filter((id) => id.startsWith('c-')).length < 200) await new Promise((r) => setTimeout(r, 50));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(stopFile, '');
    const end = await app.exited;
    expect(end.code).toBe(0);
    const ids = storedIds(serverDir).filter((id) => id.startsWith('c-'));
    expect(duplicates(ids)).toEqual([]);
    expect(ids.sort()).toEqual(range('c', 200).sort());
    expect(readUploadState(dir)!.sent_events).toBeGreaterThanOrEqual(200);
  });
});

describe('upload end to end: misbehaving endpoints (a real app process against a test server)', () => {
  async function endpoint(...args: Parameters<typeof startTestEndpoint>): Promise<TestEndpoint> {
    const ep = await startTestEndpoint(...args);
    cleanups.push(() => ep.close());
    return ep;
  }

  it('telemetry off (the default): no request at all, even with an upload URL and events left from an earlier run', async () => {
    const { existsSync, writeFileSync } = await import('node:fs');
    const ep = await endpoint();
    const dir = tmpDir();
    writeFileSync(join(dir, 'e2e-app.jsonl'), '{"ts":"2025-01-15T12:00:00.000Z","scenario":"e2e-app","event":"old","id":"old-1"}\n');
    const env = clientEnv(dir, ep.url, { CLIENT_EVENTS: '5', CLIENT_UNTIL_FILE: '/nonexistent/never', CLIENT_WAIT_MS: '1500' });
    delete env.TELEMETRY_ENABLED;
    const r = await runNode(client, { env });
    expect(r.code).toBe(0);
    expect(ep.requests).toHaveLength(0);
    expect(existsSync(join(dir, 'upload-state.json'))).toBe(false);
  });

  it('413 splits the batch until the endpoint takes it', async () => {
    const ep = await endpoint((req) => (req.events.length > 7 ? { status: 413, body: { error: 'payload too large' } } : { status: 200, body: { status: 'accepted', events_received: req.events.length, events_stored: req.events.length } }));
    const dir = tmpDir();
    const r = await runNode(client, { env: clientEnv(dir, ep.url, { CLIENT_EVENTS: '60', CLIENT_WAIT_DELIVERED: '1', TELEMETRY_UPLOAD_GZIP: 'false' }) });
    expect(r.code).toBe(0);
    expect(ep.requests.some((q) => q.events.length > 7)).toBe(true);
    const ids = ep.acceptedIds().filter((id) => id.startsWith('c-'));
    expect(duplicates(ids)).toEqual([]);
    expect(ids.sort()).toEqual(range('c', 60).sort());
  });

  it('400 quarantines the batch with the reason, and later events still go through', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const ep = await endpoint((req) =>
      req.events.some((e) => String(e.id).startsWith('c-'))
        ? { status: 400, body: { error: 'OPT_ERR_VALIDATION', message: 'details.n: not allowed here' } }
        : { status: 200, body: { status: 'accepted', events_received: req.events.length, events_stored: req.events.length } },
    );
    const dir = tmpDir();
    const first = await runNode(client, { env: clientEnv(dir, ep.url, { CLIENT_EVENTS: '5', TELEMETRY_SHUTDOWN_TIMEOUT_MS: '1000' }) });
    expect(first.code).toBe(0);
    const second = await runNode(client, { env: clientEnv(dir, ep.url, { CLIENT_EVENTS: '5', CLIENT_PREFIX: 'ok', CLIENT_WAIT_DELIVERED: '1' }) });
    expect(second.code).toBe(0);
    expect(ep.acceptedIds().filter((id) => id.startsWith('ok-')).sort()).toEqual(range('ok', 5).sort());
    const q = join(dir, 'quarantine');
    const names = readdirSync(q);
    const lines = names.filter((n) => n.endsWith('.jsonl')).flatMap((n) => readFileSync(join(q, n), 'utf8').trim().split('\n'));
    expect(lines.map((l) => (JSON.parse(l) as { id: string }).id).filter((id) => id.startsWith('c-')).sort()).toEqual(range('c', 5).sort());
    const reasons = names.filter((n) => n.endsWith('.error.json')).map((n) => readFileSync(join(q, n), 'utf8'));
    expect(reasons.some((t) => t.includes('details.n: not allowed here') && t.includes('"status": 400'))).toBe(true);
    expect(readUploadState(dir)!.quarantined_events).toBeGreaterThanOrEqual(5);
  });

  it('429 with Retry-After: the app waits that long before sending again', async () => {
    const ep = await endpoint((req, i) => (i === 0 ? { status: 429, body: { error: 'rate limited' }, headers: { 'retry-after': '2' } } : { status: 200, body: { status: 'accepted', events_received: req.events.length, events_stored: req.events.length } }));
    const dir = tmpDir();
    const r = await runNode(client, { env: clientEnv(dir, ep.url, { CLIENT_EVENTS: '10', CLIENT_PACE_MS: '1', CLIENT_WAIT_DELIVERED: '1' }) });
    expect(r.code).toBe(0);
    expect(ep.acceptedIds().filter((id) => id.startsWith('c-')).sort()).toEqual(range('c', 10).sort());
    expect(ep.requests.length).toBeGreaterThanOrEqual(2);
    expect(ep.requests[1]!.at - ep.requests[0]!.at).toBeGreaterThanOrEqual(1900);
  });

  it('an endpoint that accepts the connection and never answers: the app times out, retries, and still ends within its shutdown deadline', async () => {
    const ep = await endpoint(() => 'hang');
    const dir = tmpDir();
    const r = await runNode(client, {
      env: clientEnv(dir, ep.url, { CLIENT_EVENTS: '10', TELEMETRY_UPLOAD_TIMEOUT_MS: '200', TELEMETRY_SHUTDOWN_TIMEOUT_MS: '1000', CLIENT_UNTIL_FILE: '/nonexistent/never', CLIENT_WAIT_MS: '1500' }),
      timeoutMs: 30_000,
    });
    expect(r.code).toBe(0);
    expect(ep.requests.length).toBeGreaterThanOrEqual(2); // timed out, then tried again
    const ended = Number(/ended-after-ms (\d+)/.exec(r.stdout)?.[1]);
    expect(ended).toBeLessThan(1000 + 1500); // the deadline, plus slack for a busy machine; the endpoint never answers
    const state = readUploadState(dir)!;
    expect(state.last_error).toContain('no answer');
    expect(state.pending_bytes).toBeGreaterThan(0); // kept for the next start
  });

  it('SIGTERM while the endpoint hangs: the app flushes, gives up at the deadline, and dies of SIGTERM as it would have', async () => {
    const ep = await endpoint(() => 'hang');
    const dir = tmpDir();
    const app = startProcess(client, clientEnv(dir, ep.url, { CLIENT_EVENTS: '10', TELEMETRY_UPLOAD_TIMEOUT_MS: '5000', TELEMETRY_SHUTDOWN_TIMEOUT_MS: '800', CLIENT_UNTIL_FILE: '/nonexistent/never', CLIENT_WAIT_MS: '30000' }));
    cleanups.push(() => app.kill());
    await app.waitForOutput(/emitted-all 10/);
    const ok = await new Promise<boolean>((resolve) => {
      const deadline = Date.now() + 10_000;
      const poll = (): void => (ep.requests.length > 0 ? resolve(true) : Date.now() > deadline ? resolve(false) : void setTimeout(poll, 20));
      poll();
    });
    expect(ok).toBe(true);
    const t0 = Date.now();
    app.kill('SIGTERM');
    const end = await app.exited;
    expect(end.signal).toBe('SIGTERM');
    expect(Date.now() - t0).toBeLessThan(800 + 4000);
  });
});
