import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { runNode, tmpDir, ROOT, SERVE_ARGS } from '../helpers.js';
import { duplicates, inProcessCollector, range, storedIds, UPLOAD_PATH } from './collector.js';
import { freePort, waitFor } from './endpoint.js';
import { startProcess } from './processes.js';

const client = join(ROOT, 'test/upload/fixtures/client.ts');
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function clientEnv(dir: string, url: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    TELEMETRY_ENABLED: 'true',
    TELEMETRY_DIR: dir,
    TELEMETRY_SCENARIO: 'kill-app',
    TELEMETRY_FLUSH_INTERVAL_MS: '10',
    TELEMETRY_UPLOAD_URL: url,
    TELEMETRY_UPLOAD_INTERVAL_MS: '20',
    TELEMETRY_UPLOAD_BATCH_SIZE: '100',
    TELEMETRY_UPLOAD_BACKOFF_MS: '20',
    TELEMETRY_UPLOAD_MAX_BACKOFF_MS: '200',
    TELEMETRY_UPLOAD_TIMEOUT_MS: '3000',
    TELEMETRY_REPORT_INTERVAL_MS: '86400000',
    ...extra,
  };
}

const ours = (ids: string[]): string[] => ids.filter((id) => id.startsWith('c-'));

describe('upload through crashes: SIGKILL on either side loses nothing and doubles nothing', () => {
  it('collector killed with SIGKILL mid-stream and restarted: every event stored exactly once', async () => {
    const port = await freePort();
    const serverDir = tmpDir();
    const collectorEnv = { NO_COLOR: '1', TELEMETRY_PORT: String(port), TELEMETRY_HOST: '127.0.0.1', TELEMETRY_DIR: serverDir };
    const first = startProcess(SERVE_ARGS, collectorEnv);
    cleanups.push(() => first.kill());
    await first.waitForOutput(/listening on/);

    const dir = tmpDir();
    const n = 1500;
    const app = startProcess(client, clientEnv(dir, `http://127.0.0.1:${port}${UPLOAD_PATH}`, { CLIENT_EVENTS: String(n), CLIENT_PACE_MS: '1', CLIENT_WAIT_DELIVERED: '1', CLIENT_WAIT_MS: '60000' }));
    cleanups.push(() => app.kill());

    // Kill the collector while the stream is flowing.
    expect(await waitFor(() => ours(storedIds(serverDir)).length >= 200, 30_000)).toBe(true);
    first.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const storedBeforeKill = ours(storedIds(serverDir)).length;
    expect(storedBeforeKill).toBeLessThan(n); // it really was mid-stream

    await new Promise((r) => setTimeout(r, 300)); // the app meets connection refused for a while
    const second = startProcess(SERVE_ARGS, collectorEnv);
    cleanups.push(() => second.kill());
    await second.waitForOutput(/listening on/);

    const end = await app.exited;
    expect(end.code).toBe(0);
    const ids = ours(storedIds(serverDir));
    expect(duplicates(ids)).toEqual([]);
    expect(ids.sort()).toEqual(range('c', n).sort());
    second.kill('SIGTERM');
    await second.exited;
  });

  it('app killed with SIGKILL between writes and uploads, restarted: resumes from its cursor, nothing lost or doubled', async () => {
    const serverDir = tmpDir();
    const collector = await inProcessCollector(serverDir);
    cleanups.push(() => collector.close());
    const url = collector.url + UPLOAD_PATH;
    const dir = tmpDir();

    const app = startProcess(client, clientEnv(dir, url, { CLIENT_EVENTS: '3000', CLIENT_PACE_MS: '1', CLIENT_WAIT_MS: '60000', CLIENT_WAIT_DELIVERED: '1' }));
    cleanups.push(() => app.kill());
    // Wait until some events are uploaded and more are written but not yet uploaded, then kill.
    expect(await waitFor(() => ours(storedIds(serverDir)).length >= 300, 30_000)).toBe(true);
    app.kill('SIGKILL');
    expect((await app.exited).signal).toBe('SIGKILL');

    const written = ours(storedIds(dir)); // the app's own store: what it had recorded durably when it died
    const uploadedBefore = ours(storedIds(serverDir)).length;
    expect(written.length).toBeGreaterThan(uploadedBefore - 1);
    expect(written.length).toBeLessThan(3000); // killed mid-stream
    const duplicatesBefore = collector.stats.duplicates;

    // Restart with nothing new to record: it sends what the dead process left, from the cursor.
    const again = await runNode(client, { env: clientEnv(dir, url, { CLIENT_EVENTS: '0', CLIENT_WAIT_DELIVERED: '1' }) });
    expect(again.code).toBe(0);
    const ids = ours(storedIds(serverDir));
    expect(duplicates(ids)).toEqual([]);
    expect(ids.sort()).toEqual([...written].sort());
    // Resumed from the cursor, not from the start: at most the last two batches (the one in flight and one whose
    // cursor write was still queued; batches of 100) were sent again, and the collector dropped them by id.
    expect(collector.stats.duplicates - duplicatesBefore).toBeLessThanOrEqual(200);
  });
});
