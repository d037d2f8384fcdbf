import { describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConsentState } from '../../core/consent.js';
import { writeUploadState, type UploadState } from '../../exporters/upload/state.js';
import { writePersistedCounts } from '../../receivers/usage/counterStore.js';
import { runNode, tmpDir } from '../helpers.js';
import { cli } from './cliProcess.js';

interface Status {
  enabled: boolean;
  reason: string;
  reason_text: string;
  environment: string;
  dir: string;
  toggle: boolean | null;
  store: { files: number; bytes: number };
  upload: Record<string, unknown>;
}

async function status(dir: string, env: Record<string, string> = {}): Promise<Status> {
  const r = await cli(['status', '--format', 'json'], { TELEMETRY_DIR: dir, ...env });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Status;
}

describe('status, enable, disable', { timeout: 180_000 }, () => {
  it('explains why telemetry is on or off: default, TELEMETRY_ENABLED, toggle, DO_NOT_TRACK, OTEL_SDK_DISABLED', async () => {
    const dir = tmpDir('opt-cli-status-');
    expect(await status(dir)).toMatchObject({ enabled: false, reason: 'default', environment: 'production', dir, toggle: null });
    expect(await status(dir, { TELEMETRY_ENABLED: 'true', TELEMETRY_ENVIRONMENT: 'development' })).toMatchObject({ enabled: true, reason: 'TELEMETRY_ENABLED', environment: 'development' });

    const off = await cli(['disable'], { TELEMETRY_DIR: dir });
    expect(off.code).toBe(0);
    expect(off.stdout).toBe(`Telemetry disabled (saved in ${dir}/consent.json).\n`);
    // The toggle beats TELEMETRY_ENABLED, for the CLI and for the library reading the same dir.
    expect(await status(dir, { TELEMETRY_ENABLED: 'true' })).toMatchObject({ enabled: false, reason: 'toggle', toggle: false });
    expect(new ConsentState({ dir, enabled: true, doNotTrack: false, sdkDisabled: false })).toMatchObject({ enabled: false, reason: 'toggle' });

    const on = await cli(['enable', '--dir', dir], { DO_NOT_TRACK: '1' });
    expect(on.code).toBe(0);
    expect(on.stdout).toMatch(/^Telemetry enabled/);
    expect(on.stderr).toMatch(/telemetry is still off here: DO_NOT_TRACK=1 forces it off/);
    expect((JSON.parse(readFileSync(join(dir, 'consent.json'), 'utf8')) as { enabled: boolean }).enabled).toBe(true);
    expect(await status(dir)).toMatchObject({ enabled: true, reason: 'toggle', toggle: true });
    expect(await status(dir, { DO_NOT_TRACK: '1' })).toMatchObject({ enabled: false, reason: 'DO_NOT_TRACK' });
    expect(await status(dir, { OTEL_SDK_DISABLED: 'true' })).toMatchObject({ enabled: false, reason: 'OTEL_SDK_DISABLED' });

    const table = await cli(['status'], { TELEMETRY_DIR: dir, DO_NOT_TRACK: '1' });
    expect(table.stdout).toMatch(/^Telemetry\s+disabled\nWhy\s+DO_NOT_TRACK=1 forces it off/);
  });

  it('shows store and spool sizes and the uploader state from the data dir', async () => {
    const dir = tmpDir('opt-cli-upstate-');
    writeFileSync(join(dir, 'app.jsonl'), 'x'.repeat(1000));
    writeFileSync(join(dir, 'app.jsonl.1736942400000'), 'x'.repeat(500));
    writeFileSync(join(dir, 'web.jsonl'), 'x'.repeat(24));
    mkdirSync(join(dir, 'upload-spool', 'example.com-12345678'), { recursive: true });
    writeFileSync(join(dir, 'upload-spool', 'example.com-12345678', 'app.jsonl'), 'x'.repeat(300));
    mkdirSync(join(dir, 'quarantine'));
    writeFileSync(join(dir, 'quarantine', 'app-20250115T120000000Z.jsonl'), 'x'.repeat(70));
    const state: UploadState = {
      version: 1, url: 'https://collector.example.com/api/v1/telemetry/upload', pid: 1, updated_at: '2025-01-15T12:00:10.000Z',
      last_success_at: '2025-01-15T12:00:09.000Z', last_attempt_at: '2025-01-15T12:00:09.000Z', last_error: null,
      pending_bytes: 524, pending_files: 2, store_bytes: 1524, store_max_bytes: 67_108_864, sent_events: 40, sent_batches: 2,
      sent_bytes: 4000, quarantined_events: 1, invalid_lines: 0, dropped_events: 0, quarantine_evicted: 0,
      consecutive_failures: 0, next_attempt_at: null, gzip: true,
    };
    await writeUploadState(dir, state);
    const s = await status(dir, { TELEMETRY_UPLOAD_URL: 'https://user:secret@collector.example.com/api/v1/telemetry/upload?k=v' });
    expect(s.store).toEqual({ files: 2, bytes: 1524, scenarios: [{ scenario: 'app', bytes: 1500 }, { scenario: 'web', bytes: 24 }] });
    expect(s.upload).toMatchObject({
      url: 'https://collector.example.com/api/v1/telemetry/upload',
      last_success: '2025-01-15T12:00:09.000Z',
      pending_bytes: 524,
      pending_files: 2,
      sent_events: 40,
      spool_bytes: 300,
      quarantine_bytes: 70,
      quarantined_events: 1,
    });
    const table = await cli(['status'], { TELEMETRY_DIR: dir, TELEMETRY_UPLOAD_URL: 'https://collector.example.com/api/v1/telemetry/upload' });
    expect(table.stdout).toMatch(/Stored \(queue\)\s+1\.5 KiB in 2 scenario files/);
    expect(table.stdout).toMatch(/Not yet uploaded\s+524 B in 2 file\(s\) \(as of 2025-01-15T12:00:10\.000Z\)/);
    expect(table.stdout).toMatch(/Last upload\s+2025-01-15T12:00:09\.000Z/);
    expect(table.stdout).toMatch(/Upload spool\s+300 B/);
    expect(table.stdout).not.toContain('secret');
  });

  it('enable fails with exit 1 when the setting cannot be saved', async () => {
    const dir = tmpDir('opt-cli-ro-');
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, '');
    const r = await cli(['enable', '--dir', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/could not save the setting in .*not-a-dir\/consent\.json/);
  });
});

describe('data', { timeout: 180_000 }, () => {
  it('prints exactly what getTelemetryData() returns for the same dir and environment, saved counters included', async () => {
    const dir = tmpDir('opt-cli-data-');
    writePersistedCounts(dir, { commands: new Map([['CreateOrder', 3]]), metrics: new Map([['orders-exported', 20]]) });
    // Enabled, so the installation id is persisted and both processes report the same one (off, each makes its own).
    const env = { TELEMETRY_DIR: dir, TELEMETRY_ENABLED: 'true', TELEMETRY_DATABASE_VENDOR: 'postgresql', TELEMETRY_DATABASE_VERSION: '16.1', TELEMETRY_DETECT: 'false' };
    const r = await cli(['data'], env);
    expect(r.code, r.stderr).toBe(0);
    const data = JSON.parse(r.stdout) as { installation: string; product: { name: string; internals: { commands: object; metrics: object; database: object } } };
    expect(data.product.name).toBe('otel-product-telemetry'); // ./package.json of the working directory
    expect(data.product.internals.commands).toEqual({ CreateOrder: { count: 3 } });
    expect(data.product.internals.metrics).toEqual({ 'orders-exported': { count: 20 } });
    expect(data.product.internals.database).toEqual({ vendor: 'postgresql', version: '16.1' });

    // The library in another process, same dir and variables.
    const script = join(dir, 'print-data.ts');
    writeFileSync(script, `import { getTelemetryData } from ${JSON.stringify(join(process.cwd(), 'index.ts'))};\nprocess.stdout.write(JSON.stringify(getTelemetryData(), null, 2) + '\\n');\n`);
    const lib = await runNode(script, { env });
    expect(lib.code, lib.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(lib.stdout));

    const named = await cli(['data'], { ...env, TELEMETRY_PRODUCT_NAME: 'acme-shop', TELEMETRY_PRODUCT_VERSION: '2.0.0' });
    expect(JSON.parse(named.stdout)).toMatchObject({ product: { name: 'acme-shop', version: '2.0.0' } });
  });
});
