import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runNode, tmpDir, ROOT } from '../helpers.js';
import { readUploadState } from '../../exporters/upload/state.js';
import { inProcessCollector, range, storedIds, UPLOAD_PATH } from './collector.js';

const client = join(ROOT, 'test/upload/fixtures/client.ts');
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function clientEnv(dir: string, url: string): Record<string, string> {
  return {
    TELEMETRY_ENABLED: 'true',
    TELEMETRY_DIR: dir,
    TELEMETRY_SCENARIO: 'same-app',
    TELEMETRY_FLUSH_INTERVAL_MS: '20',
    TELEMETRY_UPLOAD_URL: url,
    TELEMETRY_UPLOAD_INTERVAL_MS: '50',
    TELEMETRY_UPLOAD_BACKOFF_MS: '50',
    TELEMETRY_UPLOAD_MAX_BACKOFF_MS: '300',
    TELEMETRY_UPLOAD_TIMEOUT_MS: '3000',
    TELEMETRY_REPORT_INTERVAL_MS: '86400000',
    CLIENT_EVENTS: '20',
    CLIENT_WAIT_MS: '1500',
    CLIENT_UNTIL_FILE: join(dir, 'never'),
  };
}

describe('an uploader pointed at a collector that stores into the uploader\'s own dir', () => {
  it('is refused (409 OPT_ERR_SAME_STORE) and stops: every event stays stored once, nothing is quarantined', { timeout: 60_000 }, async () => {
    const dir = tmpDir('opt-same-');
    const collector = await inProcessCollector(dir);
    cleanups.push(() => collector.close());
    const r = await runNode(client, { env: { ...clientEnv(dir, collector.url + UPLOAD_PATH), OTEL_LOG_LEVEL: 'error' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`not uploading to ${collector.url}${UPLOAD_PATH}: that collector stores into this uploader's own data dir ${dir}`);
    // Logged once, not per retry: the uploader stopped.
    expect(r.stderr.split('not uploading to').length - 1).toBe(1);
    const ids = storedIds(dir).filter((id) => id.startsWith('c-'));
    expect(ids.sort()).toEqual(range('c', 20).sort());
    expect(existsSync(join(dir, 'quarantine')) ? readdirSync(join(dir, 'quarantine')) : []).toEqual([]);
    const state = readUploadState(dir)!;
    expect(state.sent_events).toBe(0);
    expect(state.last_error).toMatch(/stores into this uploader's own data dir/);
  });

  it('a collector with a dir of its own takes the same app\'s events', { timeout: 60_000 }, async () => {
    const dir = tmpDir('opt-own-');
    const serverDir = tmpDir('opt-own-server-');
    const collector = await inProcessCollector(serverDir);
    cleanups.push(() => collector.close());
    const r = await runNode(client, { env: { ...clientEnv(dir, collector.url + UPLOAD_PATH), CLIENT_WAIT_DELIVERED: '1' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(storedIds(serverDir).filter((id) => id.startsWith('c-')).sort()).toEqual(range('c', 20).sort());
    expect(readFileSafe(join(dir, 'store-id'))).toMatch(/^[0-9a-f]{32}\n$/);
    expect(readFileSafe(join(serverDir, 'store-id'))).not.toBe(readFileSafe(join(dir, 'store-id')));
  });
});

function readFileSafe(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
