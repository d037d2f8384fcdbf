import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { collectorSettings, startCollector, type Collector } from '../../collector/index.js';
import { readJsonl, tmpDir } from '../helpers.js';
import { rawRequest } from './rawHttp.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every documented collector limit, set through its environment variable (so the variable is proven to work), checked
 * at its boundary: the last accepted value passes, one more is refused with the documented status and code.
 */

const started: Collector[] = [];
afterEach(async () => {
  while (started.length > 0) await started.pop()!.close();
});

async function collectorWith(env: Record<string, string>, dir = tmpDir('limits-')): Promise<Collector> {
  const c = await startCollector({ env: { TELEMETRY_PORT: '0', TELEMETRY_HOST: '127.0.0.1', TELEMETRY_DIR: dir, ...env } });
  started.push(c);
  return c;
}

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function post(c: Collector, path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${c.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const upload = (c: Collector, events: unknown, headers?: Record<string, string>): Promise<Answer> => post(c, '/api/v1/telemetry/upload', typeof events === 'string' ? events : JSON.stringify(events), headers);

/** A JSON body of exactly `size` bytes (valid events, padded with JSON whitespace). */
function bodyOfSize(size: number): string {
  const json = JSON.stringify([{ scenario: 'lim', event: 'e' }]);
  return json + ' '.repeat(size - json.length);
}

describe('collector limits, each set by its variable and checked at its boundary', () => {
  it('TELEMETRY_MAX_BODY_BYTES: the limit passes, one byte more is 413 (plain, chunked and after gzip)', async () => {
    const c = await collectorWith({ TELEMETRY_MAX_BODY_BYTES: '2048' });
    expect((await upload(c, bodyOfSize(2048))).status).toBe(200);
    const over = await upload(c, bodyOfSize(2049));
    expect(over.status).toBe(413);
    expect(over.body).toMatchObject({ code: 'OPT_ERR_BODY_TOO_LARGE' });
    expect(over.body.error).toContain('TELEMETRY_MAX_BODY_BYTES');
    const chunked = await rawRequest(c.port, {
      head: 'POST /api/v1/telemetry/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked',
      body: [Buffer.from(bodyOfSize(1500)), Buffer.from(' '.repeat(549))],
      chunked: true,
      timeoutMs: 10_000,
    });
    expect(chunked.status).toBe(413);
    const gz = { 'content-encoding': 'gzip' };
    expect((await post(c, '/api/v1/telemetry/upload', gzipSync(bodyOfSize(2048)), gz)).status).toBe(200);
    const bomb = await post(c, '/api/v1/telemetry/upload', gzipSync(bodyOfSize(2049)), gz);
    expect(bomb.status).toBe(413);
    expect(bomb.body.error).toContain('decompressed');
  });

  it('TELEMETRY_MAX_EVENTS_PER_REQUEST: 5 pass, 6 are 413 in JSON, wrapper, NDJSON and OTLP', async () => {
    const c = await collectorWith({ TELEMETRY_MAX_EVENTS_PER_REQUEST: '5' });
    const events = (n: number): unknown[] => Array.from({ length: n }, () => ({ scenario: 'lim', event: 'e' }));
    expect((await upload(c, events(5))).body).toMatchObject({ events_stored: 5 });
    for (const body of [JSON.stringify(events(6)), JSON.stringify({ events: events(6) })]) {
      const r = await upload(c, body);
      expect(r.status).toBe(413);
      expect(r.body.code).toBe('OPT_ERR_TOO_MANY_EVENTS');
    }
    const ndjson = await post(c, '/api/v1/telemetry/upload', events(6).map((e) => JSON.stringify(e)).join('\n'), { 'content-type': 'application/x-ndjson' });
    expect(ndjson.status).toBe(413);
    const otlp = (n: number): string => JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: Array.from({ length: n }, () => ({ eventName: 'e' })) }] }] });
    expect((await post(c, '/v1/logs', otlp(5))).status).toBe(200);
    const over = await post(c, '/v1/logs', otlp(6));
    expect(over.status).toBe(413);
    expect(over.body.message).toMatch(/^OPT_ERR_TOO_MANY_EVENTS: /);
  });

  it('TELEMETRY_MAX_EVENT_BYTES: a stored line of exactly the limit passes, one more is refused (upload per event, appcd 413)', async () => {
    const c = await collectorWith({ TELEMETRY_MAX_EVENT_BYTES: '1024' });
    const ts = '2025-01-01T00:00:00.000Z';
    const lineOf = (pad: number, id: string): string => `{"ts":"${ts}","scenario":"lim","event":"e","details":{"s":"${'x'.repeat(pad)}"},"id":"${id}"}\n`;
    const pad = 1024 - lineOf(0, 'size-a').length;
    expect(lineOf(pad, 'size-a')).toHaveLength(1024);
    const ok = await upload(c, [{ ts, scenario: 'lim', event: 'e', details: { s: 'x'.repeat(pad) }, id: 'size-a' }]);
    expect(ok.body).toMatchObject({ events_stored: 1 });
    expect(readFileSync(join(c.dir, 'lim.jsonl'), 'utf8')).toBe(lineOf(pad, 'size-a'));
    const over = await upload(c, [{ ts, scenario: 'lim', event: 'e', details: { s: 'x'.repeat(pad + 1) }, id: 'size-b' }, { scenario: 'lim', event: 'small' }]);
    expect(over.status).toBe(200);
    expect(over.body).toMatchObject({ events_received: 2, events_stored: 1, errors: [{ index: 0, code: 'OPT_ERR_EVENT_TOO_LARGE' }] });
    const alone = await upload(c, [{ ts, scenario: 'lim', event: 'e', details: { s: 'x'.repeat(pad + 1) }, id: 'size-c' }]);
    expect(alone.status).toBe(400);
    expect(alone.body).toMatchObject({ code: 'OPT_ERR_NO_VALID_EVENTS', errors: [{ code: 'OPT_ERR_EVENT_TOO_LARGE' }] });
    const appcd = await post(c, '/appcd/telemetry', JSON.stringify({ event: 'e', scenario: 'lim', s: 'x'.repeat(2000) }));
    expect(appcd.status).toBe(413);
    expect(appcd.body.code).toBe('OPT_ERR_EVENT_TOO_LARGE');
  });

  it('TELEMETRY_MAX_DETAILS_DEPTH and TELEMETRY_MAX_DETAILS_KEYS: the limit passes, one more is refused naming the path', async () => {
    const c = await collectorWith({ TELEMETRY_MAX_DETAILS_DEPTH: '3', TELEMETRY_MAX_DETAILS_KEYS: '5' });
    const r = await upload(c, [
      { scenario: 'lim', event: 'depth3', details: { a: { b: { c: 1 } } } },
      { scenario: 'lim', event: 'depth4', details: { a: { b: { c: { d: 1 } } } } },
      { scenario: 'lim', event: 'keys5', details: { a: 1, b: 2, c: [1, 2] } },
      { scenario: 'lim', event: 'keys6', details: { a: 1, b: 2, c: [1, 2, 3] } },
      { scenario: 'lim', event: 'extra6', a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 },
    ]);
    expect(r.body).toMatchObject({ events_received: 5, events_stored: 2 });
    expect(r.body.errors).toEqual([
      expect.objectContaining({ index: 1, code: 'OPT_ERR_VALIDATION', field: 'details.a.b.c', error: expect.stringContaining('TELEMETRY_MAX_DETAILS_DEPTH') }),
      expect.objectContaining({ index: 3, field: 'details.c[2]', error: expect.stringContaining('TELEMETRY_MAX_DETAILS_KEYS') }),
      expect.objectContaining({ index: 4, field: 'details.f' }),
    ]);
    expect(readJsonl(join(c.dir, 'lim.jsonl')).map((l) => l.event)).toEqual(['depth3', 'keys5']);
  });

  it('TELEMETRY_MAX_SCENARIOS: new scenarios beyond it are refused, known ones still accepted, also after a restart', async () => {
    const dir = tmpDir('limits-');
    let c = await collectorWith({ TELEMETRY_MAX_SCENARIOS: '2' }, dir);
    expect((await upload(c, [{ scenario: 's1', event: 'e' }, { scenario: 's2', event: 'e' }])).body.events_stored).toBe(2);
    const third = await upload(c, [{ scenario: 's3', event: 'e' }]);
    expect(third.status).toBe(400);
    expect(third.body.errors[0]).toMatchObject({ code: 'OPT_ERR_SCENARIO_LIMIT' });
    expect(third.body.errors[0].error).toContain('TELEMETRY_MAX_SCENARIOS');
    expect((await upload(c, [{ scenario: 's1', event: 'again' }])).body.events_stored).toBe(1);
    await started.pop()!.close();
    c = await collectorWith({ TELEMETRY_MAX_SCENARIOS: '2' }, dir);
    expect((await upload(c, [{ scenario: 's3', event: 'e' }])).status).toBe(400);
    expect((await upload(c, [{ scenario: 's2', event: 'again' }])).body.events_stored).toBe(1);
  });

  it('TELEMETRY_MAX_CLOCK_SKEW_MS: a timestamp within the skew passes, beyond it is refused', async () => {
    const c = await collectorWith({ TELEMETRY_MAX_CLOCK_SKEW_MS: '60000' });
    const r = await upload(c, [
      { scenario: 'lim', event: 'near', timestamp: Date.now() + 30_000 },
      { scenario: 'lim', event: 'far', timestamp: Date.now() + 120_000 },
    ]);
    expect(r.body).toMatchObject({ events_stored: 1, errors: [{ index: 1, field: 'timestamp' }] });
  });

  it('TELEMETRY_RATE_LIMIT / TELEMETRY_RATE_BURST: 429 with Retry-After per client address, health exempt, served again after waiting', async () => {
    const c = await collectorWith({ TELEMETRY_RATE_LIMIT: '1', TELEMETRY_RATE_BURST: '2' });
    const ev = [{ scenario: 'rate', event: 'e' }];
    let limited: Answer | undefined;
    let accepted = 0;
    for (let i = 0; i < 6 && limited === undefined; i++) {
      const r = await upload(c, ev);
      if (r.status === 429) limited = r;
      else accepted++;
    }
    expect(limited).toBeDefined();
    expect(accepted).toBeGreaterThanOrEqual(2);
    expect(limited!.body).toMatchObject({ code: 'OPT_ERR_RATE_LIMIT' });
    const retryAfter = Number(limited!.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1).toBe(true);
    expect((await fetch(`${c.url}/healthz`)).status).toBe(200);
    // Another client address (127.0.0.2 is loopback too) has its own bucket.
    const other = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${c.url}/api/v1/telemetry/upload`, { method: 'POST', localAddress: '127.0.0.2', headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(JSON.stringify(ev));
    });
    expect(other).toBe(200);
    await new Promise((r) => setTimeout(r, retryAfter * 1000 + 100));
    expect((await upload(c, ev)).status).toBe(200);
  });

  it('TELEMETRY_HEADERS_TIMEOUT_MS / TELEMETRY_REQUEST_TIMEOUT_MS: slow clients are cut with 408; headers > request is a ConfigError', async () => {
    const c = await collectorWith({ TELEMETRY_HEADERS_TIMEOUT_MS: '1000', TELEMETRY_REQUEST_TIMEOUT_MS: '1500' });
    expect(c.config).toMatchObject({ headersTimeoutMs: 1000, requestTimeoutMs: 1500 });
    const slowHeaders = rawRequest(c.port, { head: 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + 'z'.repeat(200), trickle: { bytes: 1, delayMs: 50, maxMs: 10_000 }, timeoutMs: 10_000 });
    const slowBody = rawRequest(c.port, { head: 'POST /api/v1/telemetry/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100', body: [Buffer.from('[{')], timeoutMs: 10_000 });
    for (const r of await Promise.all([slowHeaders, slowBody])) {
      // Cut by the server (not by our 10 s give-up), with the coded JSON body.
      expect(r.timedOut).toBe(false);
      expect(r.status).toBe(408);
      expect(r.body).toMatchObject({ status: 'error', code: 'OPT_ERR_TIMEOUT' });
    }
    expect((await fetch(`${c.url}/healthz`)).status).toBe(200);
    const bad = await startCollector({ env: { TELEMETRY_PORT: '0', TELEMETRY_DIR: tmpDir(), TELEMETRY_REQUEST_TIMEOUT_MS: '5000' } }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ConfigError);
    expect((bad as Error).message).toMatch(/TELEMETRY_HEADERS_TIMEOUT_MS.*TELEMETRY_REQUEST_TIMEOUT_MS/);
  });

  it('TELEMETRY_MAX_FOLLOW_STREAMS / TELEMETRY_FOLLOW_MAX_MS: the cap passes, one more follow is 429 with Retry-After; a stream ends at its time limit', async () => {
    const dir = tmpDir('limits-follow-');
    writeFileSync(join(dir, 's.jsonl'), '{"ts":"2025-01-15T12:00:00.000Z","scenario":"s","event":"a","id":"a1"}\n');
    const c = await collectorWith({ TELEMETRY_MAX_FOLLOW_STREAMS: '2', TELEMETRY_FOLLOW_MAX_MS: '1500' }, dir);
    expect(c.config).toMatchObject({ maxFollowStreams: 2, followMaxMs: 1500 });
    const url = `${c.url}/api/v1/telemetry/s/events?follow=true&tail=1`;
    const t0 = performance.now();
    const open = [await fetch(url, { signal: AbortSignal.timeout(10_000) }), await fetch(url, { signal: AbortSignal.timeout(10_000) })];
    for (const r of open) expect(r.status).toBe(200);
    const third = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('5');
    expect(await third.json()).toMatchObject({ status: 'error', code: 'OPT_ERR_TOO_MANY_FOLLOWS', field: 'follow' });
    // Both streams end by themselves at TELEMETRY_FOLLOW_MAX_MS, having sent the tail; then a follow is served again.
    for (const r of open) expect(await r.text()).toContain('"a1"');
    expect(performance.now() - t0).toBeGreaterThan(1400);
    expect(performance.now() - t0).toBeLessThan(6000);
    const again = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    expect(again.status).toBe(200);
    await again.body?.cancel();
  });

  it('every limit is a setting with its variable, and the README documents each variable', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const limits = ['maxBodyBytes', 'maxEventsPerRequest', 'maxEventBytes', 'maxDetailsDepth', 'maxDetailsKeys', 'maxScenarios', 'maxClockSkewMs', 'rateLimit', 'rateBurst', 'maxConcurrentUploads', 'maxFollowStreams', 'followMaxMs', 'requestTimeoutMs', 'headersTimeoutMs', 'keepAliveTimeoutMs'] as const;
    for (const key of limits) {
      const setting = collectorSettings[key];
      expect(setting.env).toMatch(/^TELEMETRY_/);
      expect(readme).toContain(`\`${setting.env}\``);
    }
  });
});
