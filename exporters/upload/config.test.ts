import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { tmpDir } from '../../test/helpers.js';
import { loadUploadConfig, MAX_UPLOAD_BYTES, uploaderSettings } from './config.js';

describe('upload settings', () => {
  it('has defaults and no URL (uploads off) with an empty environment', () => {
    const c = loadUploadConfig({}, { TELEMETRY_DIR: '/tmp/x' });
    expect(c.url).toBeUndefined();
    expect(c).toMatchObject({ format: 'json', gzip: true, batchSize: 1000, maxBatchBytes: MAX_UPLOAD_BYTES, timeoutMs: 10_000, intervalMs: 30_000, storeMaxBytes: 64 * 1024 * 1024, dir: '/tmp/x' });
    expect(c.extraFiles).toEqual([]);
  });

  it("gives an uploader built without loadUploadConfig the same defaults, from the one table", () => {
    const { url, dir, extraFiles, manifestTelemetry, manifest, appDataDir, spoolDir, ...fromConfig } = loadUploadConfig({}, { TELEMETRY_DIR: '/tmp/x' });
    expect(uploaderSettings({})).toEqual(fromConfig);
    expect(uploaderSettings({ batchSize: 5, token: undefined })).toMatchObject({ batchSize: 5, token: undefined, intervalMs: 30_000 });
  });

  it('reads every variable, code options win over them', () => {
    const env = {
      TELEMETRY_UPLOAD_URL: 'https://t.example/api/v1/telemetry/upload',
      TELEMETRY_UPLOAD_FORMAT: 'NDJSON',
      TELEMETRY_UPLOAD_TOKEN: 'tok-123',
      TELEMETRY_UPLOAD_TIMEOUT_MS: '500',
      TELEMETRY_UPLOAD_INTERVAL_MS: '100',
      TELEMETRY_UPLOAD_GZIP: 'false',
      TELEMETRY_UPLOAD_BATCH_SIZE: '10',
      TELEMETRY_STORE_MAX_BYTES: '1048576',
    };
    const c = loadUploadConfig({ batchSize: 20 }, env);
    expect(c).toMatchObject({ url: env.TELEMETRY_UPLOAD_URL, format: 'ndjson', token: 'tok-123', timeoutMs: 500, intervalMs: 100, gzip: false, batchSize: 20, storeMaxBytes: 1048576 });
  });

  it('names every bad variable and the allowed values', () => {
    let err: unknown;
    try {
      loadUploadConfig({}, { TELEMETRY_UPLOAD_URL: 'ftp://x', TELEMETRY_UPLOAD_FORMAT: 'xml', TELEMETRY_UPLOAD_MAX_BATCH_BYTES: String(MAX_UPLOAD_BYTES + 1), TELEMETRY_UPLOAD_GZIP: 'maybe' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain('TELEMETRY_UPLOAD_URL="ftp://x"');
    expect(msg).toContain('TELEMETRY_UPLOAD_FORMAT="xml": expected one of json, ndjson');
    expect(msg).toContain('TELEMETRY_UPLOAD_MAX_BATCH_BYTES');
    expect(msg).toContain('TELEMETRY_UPLOAD_GZIP="maybe"');
    expect(() => loadUploadConfig({ urll: 'http://x' } as never, {})).toThrow(/unknown option "urll"/);
    expect(() => loadUploadConfig({}, { TELEMETRY_UPLOAD_BACKOFF_MS: '5000', TELEMETRY_UPLOAD_MAX_BACKOFF_MS: '10' })).toThrow(/TELEMETRY_UPLOAD_MAX_BACKOFF_MS \(10\) is below/);
  });
});

describe('bundle manifest (TELEMETRY_MANIFEST)', () => {
  function manifest(content: unknown): { path: string; dir: string } {
    const dir = tmpDir();
    const path = join(dir, 'bundle.json');
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return { path, dir };
  }

  it('takes upload_to as the URL and resolves file against the manifest dir (or TELEMETRY_APP_DATA_DIR)', () => {
    const m = manifest({ name: 'picker-wheel', telemetry: { file: 'telemetry/deployment-telemetry.jsonl', upload_to: 'https://collector.example/api/v1/telemetry/upload' } });
    const c = loadUploadConfig({}, { TELEMETRY_MANIFEST: m.path });
    expect(c.url).toBe('https://collector.example/api/v1/telemetry/upload');
    expect(c.extraFiles).toEqual([join(m.dir, 'telemetry/deployment-telemetry.jsonl')]);
    const appData = tmpDir();
    mkdirSync(join(appData, 'telemetry'));
    expect(loadUploadConfig({}, { TELEMETRY_MANIFEST: m.path, TELEMETRY_APP_DATA_DIR: appData }).extraFiles).toEqual([join(appData, 'telemetry/deployment-telemetry.jsonl')]);
  });

  it('TELEMETRY_UPLOAD_URL wins over upload_to; a manifest without telemetry means no uploads', () => {
    const m = manifest({ telemetry: { upload_to: 'https://a.example/up' } });
    expect(loadUploadConfig({}, { TELEMETRY_MANIFEST: m.path, TELEMETRY_UPLOAD_URL: 'https://b.example/up' }).url).toBe('https://b.example/up');
    expect(loadUploadConfig({}, { TELEMETRY_MANIFEST: manifest({ name: 'x' }).path }).url).toBeUndefined();
  });

  it('clear errors: unreadable, not JSON, wrong field types', () => {
    expect(() => loadUploadConfig({}, { TELEMETRY_MANIFEST: '/nonexistent/bundle.json' })).toThrow(/TELEMETRY_MANIFEST="\/nonexistent\/bundle.json": cannot read the manifest/);
    expect(() => loadUploadConfig({}, { TELEMETRY_MANIFEST: manifest('{"telemetry":').path })).toThrow(/TELEMETRY_MANIFEST=.*: not valid JSON/);
    expect(() => loadUploadConfig({}, { TELEMETRY_MANIFEST: manifest({ telemetry: { upload_to: 'not a url' } }).path })).toThrow(/telemetry\.upload_to: expected an absolute http/);
    expect(() => loadUploadConfig({}, { TELEMETRY_MANIFEST: manifest({ telemetry: { file: 42 } }).path })).toThrow(/telemetry\.file/);
  });
});
