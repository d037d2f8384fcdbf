import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConsentState, writeToggle } from '../../core/consent.js';
import { JsonlFileWriter } from '../jsonl/writer.js';
import { tmpDir } from '../../test/helpers.js';
import { accept, startTestEndpoint, storeLines, waitFor, type TestEndpoint } from '../../test/upload/endpoint.js';
import { Uploader, type UploaderOptions } from './Uploader.js';
import { readUploadState } from './state.js';
import { QUARANTINE_DIR } from './quarantine.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function endpoint(...args: Parameters<typeof startTestEndpoint>): Promise<TestEndpoint> {
  const ep = await startTestEndpoint(...args);
  cleanups.push(() => ep.close());
  return ep;
}

function uploader(dir: string, url: string, options: Partial<UploaderOptions> = {}): Uploader {
  const u = new Uploader({ dir, url, intervalMs: 3_600_000, initialDelayMs: 3_600_000, backoffMs: 20, maxBackoffMs: 200, timeoutMs: 2000, ...options });
  cleanups.push(() => u.shutdown());
  return u.start();
}

function quarantineFiles(dir: string): string[] {
  const q = join(dir, QUARANTINE_DIR);
  return existsSync(q) ? readdirSync(q).sort() : [];
}

describe('Uploader', () => {
  it('sends the store as a JSON array with bearer token and gzip, then nothing more once acknowledged', async () => {
    const ep = await endpoint();
    const dir = tmpDir();
    new JsonlFileWriter(dir).append('shop', storeLines('shop', 0, 300, 'a', 40));
    const u = uploader(dir, ep.url, { token: 's3cret-token', gzip: true, batchSize: 100 });
    await u.runOnce();
    expect(ep.requests).toHaveLength(3);
    const r = ep.requests[0]!;
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(r.headers.authorization).toBe('Bearer s3cret-token');
    expect(r.wireBytes).toBeLessThan(Buffer.byteLength(r.body));
    expect(ep.acceptedIds()).toEqual(Array.from({ length: 300 }, (_, i) => `a-${i}`));
    // the stored line is what is sent: same fields, same id
    expect(ep.requests[0]!.events[0]).toEqual({ ts: '2025-01-15T12:00:00.000Z', scenario: 'shop', event: 'app_start', details: { n: 0, pad: 'x'.repeat(40) }, id: 'a-0' });
    await u.runOnce();
    expect(ep.requests).toHaveLength(3);
    const state = readUploadState(dir)!;
    expect(state.sent_events).toBe(300);
    expect(state.pending_bytes).toBe(0);
    expect(state.last_success_at).not.toBeNull();
    expect(JSON.stringify(state)).not.toContain('s3cret');
  });

  it('sends NDJSON without gzip when told, and only whole lines', async () => {
    const ep = await endpoint();
    const dir = tmpDir();
    const file = join(dir, 'shop.jsonl');
    writeFileSync(file, storeLines('shop', 0, 5, 'n') + '{"ts":"2025-01-15T12:00:00.000Z","scen');
    const u = uploader(dir, ep.url, { format: 'ndjson', gzip: false });
    await u.runOnce();
    expect(ep.requests).toHaveLength(1);
    expect(ep.requests[0]!.headers['content-type']).toBe('application/x-ndjson');
    expect(ep.requests[0]!.headers['content-encoding']).toBeUndefined();
    expect(ep.requests[0]!.body.endsWith('\n')).toBe(true);
    expect(ep.acceptedIds()).toEqual(['n-0', 'n-1', 'n-2', 'n-3', 'n-4']);
    // the writer finishes the line later: it is sent then, once
    appendFileSync(file, 'ario":"shop","event":"late","id":"n-5"}\n');
    await u.runOnce();
    expect(ep.acceptedIds()).toEqual(['n-0', 'n-1', 'n-2', 'n-3', 'n-4', 'n-5']);
  });

  it('splits a batch the endpoint answers 413 to, down to what it takes', async () => {
    // Accepts at most 3 events per request.
    const ep = await endpoint((req) => (req.events.length > 3 ? { status: 413, body: { error: 'too large' } } : accept(req, 0)));
    const dir = tmpDir();
    new JsonlFileWriter(dir).append('s', storeLines('s', 0, 10, 'x'));
    const u = uploader(dir, ep.url, { gzip: false });
    await u.runOnce();
    expect(ep.requests.filter((r) => r.events.length > 3).length).toBeGreaterThan(0);
    expect(ep.acceptedIds()).toEqual(Array.from({ length: 10 }, (_, i) => `x-${i}`));
    expect(quarantineFiles(dir)).toEqual([]);
  });

  it('quarantines a batch refused with 400, keeps the reason, and moves on', async () => {
    const ep = await endpoint((req, i) => (i === 0 ? { status: 400, body: { error: 'OPT_ERR_VALIDATION: event: required' } } : accept(req, i)));
    const dir = tmpDir();
    const w = new JsonlFileWriter(dir);
    w.append('s', storeLines('s', 0, 4, 'bad'));
    const u = uploader(dir, ep.url, { gzip: false, batchSize: 4 });
    await u.runOnce();
    w.append('s', storeLines('s', 0, 2, 'good'));
    await u.runOnce();
    expect(ep.acceptedIds()).toEqual(['good-0', 'good-1']);
    const files = quarantineFiles(dir);
    expect(files.filter((f) => f.endsWith('.jsonl'))).toHaveLength(1);
    const lines = readFileSync(join(dir, QUARANTINE_DIR, files.find((f) => f.endsWith('.jsonl'))!), 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(['bad-0', 'bad-1', 'bad-2', 'bad-3']);
    const reason = JSON.parse(readFileSync(join(dir, QUARANTINE_DIR, files.find((f) => f.endsWith('.error.json'))!), 'utf8')) as { status: number; error: string; source: string };
    expect(reason.status).toBe(400);
    expect(reason.source).toBe('server');
    expect(reason.error).toContain('OPT_ERR_VALIDATION: event: required');
    expect(readUploadState(dir)!.quarantined_events).toBe(4);
  });

  it('sets aside the events a 2xx answer lists as errors (JSON index and NDJSON line number)', async () => {
    for (const format of ['json', 'ndjson'] as const) {
      const ep = await endpoint((req) => ({
        status: 200,
        body: { status: 'accepted', events_received: req.events.length, events_stored: req.events.length - 1, errors: [{ index: format === 'json' ? 1 : 2, error: 'scenario: unsafe' }] },
      }));
      const dir = tmpDir();
      new JsonlFileWriter(dir).append('s', storeLines('s', 0, 3, format));
      const u = uploader(dir, ep.url, { gzip: false, format });
      await u.runOnce();
      const q = quarantineFiles(dir).find((f) => f.endsWith('.jsonl'))!;
      expect(readFileSync(join(dir, QUARANTINE_DIR, q), 'utf8')).toContain(`"id":"${format}-1"`);
      expect(u.status().sent_events).toBe(2);
      expect(u.status().quarantined_events).toBe(1);
    }
  });

  it('keeps invalid lines out of requests (quarantined locally, counted) and gives id-less lines a stable id', async () => {
    const ep = await endpoint();
    const dir = tmpDir();
    writeFileSync(
      join(dir, 'v.jsonl'),
      '{"ts":"2025-01-15T12:00:00.000Z","scenario":"v","event":"a","id":"ok-1"}\n' +
        '{"ts":"2025-01-15T12:00:00.000Z","scenario":"v","ev\n' + // torn line, repaired by the writer
        '[1,2]\n' +
        '\n' +
        '{"ts":"2025-01-15T12:00:01.000Z","event":"no-id"}\n',
    );
    const u = uploader(dir, ep.url, { gzip: false });
    await u.runOnce();
    const events = ep.requests.flatMap((r) => r.events);
    expect(events.map((e) => e.event)).toEqual(['a', 'no-id']);
    const noId = events[1]!;
    expect(noId.scenario).toBe('v'); // filled from the file name
    expect(String(noId.id)).toMatch(/^l[0-9a-f]{16}-[0-9a-z]+$/);
    expect(u.status().invalid_lines).toBe(2);
    expect(quarantineFiles(dir).some((f) => f.endsWith('.error.json'))).toBe(true);
  });

  it('a damaged line that looks like one of ours sinks the JSON batch at the endpoint: it is set aside and the rest is sent', async () => {
    // Like the collector: a body that is not JSON is refused whole with 400.
    const ep = await endpoint((req, i) => (req.events.length === 0 ? { status: 400, body: { error: 'invalid JSON at position 400' } } : accept(req, i)));
    const dir = tmpDir();
    const damaged = '{"ts":"2025-01-15T12:00:00.000Z","scenario":"s","event":"x","details":{"a":1,,"id":"broken-1"}';
    writeFileSync(join(dir, 's.jsonl'), storeLines('s', 0, 3, 'd') + damaged + '\n' + storeLines('s', 3, 3, 'd'));
    const u = uploader(dir, ep.url, { gzip: false });
    await u.runOnce();
    expect(ep.acceptedIds()).toEqual(['d-0', 'd-1', 'd-2', 'd-3', 'd-4', 'd-5']);
    expect(u.status().invalid_lines).toBe(1);
    const q = quarantineFiles(dir).filter((f) => f.endsWith('.jsonl'));
    expect(q.map((f) => readFileSync(join(dir, QUARANTINE_DIR, f), 'utf8')).join('')).toBe(damaged + '\n');
  });

  it('retries after 5xx and network errors with backoff, and delivers each event once', async () => {
    let fail = 2;
    const ep = await endpoint((req, i) => (fail-- > 0 ? (i === 0 ? { status: 503, body: { error: 'busy' } } : 'destroy') : accept(req, i)));
    const dir = tmpDir();
    new JsonlFileWriter(dir).append('s', storeLines('s', 0, 20, 'r'));
    const u = uploader(dir, ep.url, { gzip: false });
    await u.runOnce();
    expect(u.status().consecutive_failures).toBe(1);
    expect(u.status().last_error).toContain('503');
    const ok = await waitFor(async () => {
      await u.runOnce();
      return ep.acceptedIds().length === 20;
    });
    expect(ok).toBe(true);
    expect(ep.acceptedIds()).toEqual(Array.from({ length: 20 }, (_, i) => `r-${i}`));
    expect(u.status().consecutive_failures).toBe(0);
  });

  it('waits for Retry-After after a 429 before sending again', async () => {
    const ep = await endpoint((req, i) => (i === 0 ? { status: 429, body: { error: 'slow down' }, headers: { 'retry-after': '1' } } : accept(req, i)));
    const dir = tmpDir();
    new JsonlFileWriter(dir).append('s', storeLines('s', 0, 3, 't'));
    const u = uploader(dir, ep.url, { gzip: false });
    await u.runOnce();
    await u.runOnce(); // within the Retry-After: nothing is sent
    await u.forceFlush(); // not even on forceFlush
    expect(ep.requests).toHaveLength(1);
    await waitFor(async () => {
      await u.runOnce();
      return ep.acceptedIds().length === 3;
    });
    expect(ep.requests).toHaveLength(2);
    expect(ep.requests[1]!.at - ep.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('does not quarantine on 401 (credentials, not the events): keeps them and pauses', async () => {
    const ep = await endpoint(() => ({ status: 401, body: { error: 'bad token' } }));
    const dir = tmpDir();
    new JsonlFileWriter(dir).append('s', storeLines('s', 0, 3, 'p'));
    const u = uploader(dir, ep.url, { gzip: false, maxBackoffMs: 60_000 });
    await u.runOnce();
    await u.runOnce();
    expect(ep.requests).toHaveLength(1);
    expect(quarantineFiles(dir)).toEqual([]);
    expect(u.status().pending_bytes).toBeGreaterThan(0);
    expect(u.status().next_attempt_at).not.toBeNull();
  });

  it('falls back to plain bodies when the endpoint cannot read gzip', async () => {
    const ep = await endpoint((req) => (req.headers['content-encoding'] === 'gzip' ? { status: 415, body: { error: 'unsupported encoding' } } : accept(req, 0)));
    const dir = tmpDir();
    new JsonlFileWriter(dir).append('s', storeLines('s', 0, 50, 'g', 40));
    const u = uploader(dir, ep.url, { gzip: true, batchSize: 25 });
    await u.runOnce();
    expect(ep.acceptedIds()).toHaveLength(50);
    expect(ep.requests.map((r) => r.headers['content-encoding'] ?? 'plain')).toEqual(['gzip', 'plain', 'plain']);
    expect(u.status().gzip).toBe(false);
  });

  it('sends nothing at all while consent is off, and starts when it is turned on', async () => {
    const ep = await endpoint();
    const dir = tmpDir();
    new JsonlFileWriter(dir).append('s', storeLines('s', 0, 3, 'c'));
    const consent = new ConsentState({ dir, enabled: false, doNotTrack: false, sdkDisabled: false });
    const u = uploader(dir, ep.url, { consent, intervalMs: 20, initialDelayMs: 0 });
    await u.runOnce();
    await u.forceFlush();
    await new Promise((r) => setTimeout(r, 100));
    expect(ep.requests).toHaveLength(0);
    consent.setEnabled(true);
    expect(await waitFor(() => ep.acceptedIds().length === 3)).toBe(true);
  });

  it('stops sending within one interval when telemetry is disabled from another process (the persisted toggle)', async () => {
    const ep = await endpoint();
    const dir = tmpDir();
    const w = new JsonlFileWriter(dir);
    w.append('s', storeLines('s', 0, 2, 'before'));
    const consent = new ConsentState({ dir, enabled: true, doNotTrack: false, sdkDisabled: false });
    uploader(dir, ep.url, { consent, intervalMs: 30, initialDelayMs: 0 });
    expect(await waitFor(() => ep.acceptedIds().length === 2)).toBe(true);
    writeToggle(dir, false); // what `otel-product-telemetry disable` does, from another process
    expect(await waitFor(() => !consent.enabled)).toBe(true);
    w.append('s', storeLines('s', 0, 2, 'after'));
    await new Promise((r) => setTimeout(r, 200));
    expect(ep.acceptedIds()).toEqual(['before-0', 'before-1']);
  });

  it('gives up a hanging request at its timeout, and forceFlush stays within its deadline', async () => {
    const ep = await endpoint(() => 'hang');
    const dir = tmpDir();
    new JsonlFileWriter(dir).append('s', storeLines('s', 0, 3, 'h'));
    const u = uploader(dir, ep.url, { timeoutMs: 200, shutdownTimeoutMs: 400 });
    await u.runOnce();
    expect(u.status().last_error).toContain('no answer');
    expect(u.status().consecutive_failures).toBe(1);
    const t0 = Date.now();
    await u.forceFlush();
    await u.shutdown();
    const elapsed = Date.now() - t0;
    expect(ep.requests.length).toBeGreaterThanOrEqual(2);
    expect(elapsed).toBeLessThan(5000); // bounded by the 400 ms shutdown deadline, with room for a slow machine
    expect(u.status().pending_bytes).toBeGreaterThan(0);
  });
});
