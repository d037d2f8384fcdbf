import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonl, runNode, tmpDir, ROOT } from '../helpers.js';
import { duplicates, inProcessCollector, range, UPLOAD_PATH } from './collector.js';

const client = join(ROOT, 'test/upload/fixtures/client.ts');
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('Vrooli bundle manifest: TELEMETRY_MANIFEST with telemetry.file and telemetry.upload_to', () => {
  it('register uploads to upload_to, from its own store and from the manifest file; a restart sends nothing twice', async () => {
    const serverDir = tmpDir();
    const collector = await inProcessCollector(serverDir);
    cleanups.push(() => collector.close());
    const bundleDir = tmpDir();
    const appData = tmpDir();
    mkdirSync(join(appData, 'telemetry'));
    writeFileSync(join(bundleDir, 'bundle.json'), JSON.stringify({ name: 'picker-wheel', telemetry: { file: 'telemetry/deployment-telemetry.jsonl', upload_to: collector.url + UPLOAD_PATH } }));
    // Lines as a Vrooli desktop runtime writes them: no ids.
    writeFileSync(
      join(appData, 'telemetry/deployment-telemetry.jsonl'),
      '{"ts":"2025-01-15T12:00:00Z","scenario":"picker-wheel","event":"app_start","details":{"version":"1.0.0"}}\n' +
        '{"ts":"2025-01-15T12:00:05Z","scenario":"picker-wheel","event":"ready","details":{"startup_ms":5000}}\n',
    );
    const env = {
      TELEMETRY_ENABLED: 'true',
      TELEMETRY_DIR: tmpDir(),
      TELEMETRY_SCENARIO: 'picker-wheel',
      TELEMETRY_FLUSH_INTERVAL_MS: '20',
      TELEMETRY_MANIFEST: join(bundleDir, 'bundle.json'),
      TELEMETRY_APP_DATA_DIR: appData,
      TELEMETRY_UPLOAD_INTERVAL_MS: '50',
      TELEMETRY_REPORT_INTERVAL_MS: '86400000',
      CLIENT_EVENTS: '5',
      CLIENT_WAIT_DELIVERED: '1',
    };
    const first = await runNode(client, { env });
    expect(first.code).toBe(0);
    const second = await runNode(client, { env: { ...env, CLIENT_EVENTS: '0' } });
    expect(second.code).toBe(0);
    const lines = readJsonl(join(serverDir, 'picker-wheel.jsonl'));
    const vrooli = lines.filter((l) => l.event === 'app_start' || l.event === 'ready');
    expect(vrooli.map((l) => l.event)).toEqual(['app_start', 'ready']);
    expect(vrooli.every((l) => typeof l.id === 'string')).toBe(true); // ids made from the file and offset
    const ids = lines.map((l) => String(l.id));
    expect(duplicates(ids)).toEqual([]);
    expect(collector.stats.duplicates).toBe(0); // the restart resumed from the cursors: nothing was even resent
    expect(ids.filter((id) => id.startsWith('c-')).sort()).toEqual(range('c', 5).sort());
  });
});
