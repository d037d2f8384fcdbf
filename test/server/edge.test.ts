import { describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { isLoopbackHost, loadCollectorConfig, startCollector } from '../../collector/index.js';
import { ConfigError } from '../../core/errors.js';
import { readJsonl, tmpDir } from '../helpers.js';
import { collector, request, stop, upload } from './setup.js';

const TOKEN = 'correct-horse-battery-staple';

describe('collector edge: auth, methods, rate limit, start-up checks', () => {
  it('requires the bearer token on every route but /healthz when one is set', async () => {
    const c = await collector({ authToken: TOKEN });
    expect((await request(`${c.url}/healthz`)).body).toEqual({ status: 'ok' });
    const none = await upload(c, [{ scenario: 's', event: 'e' }]);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(none.body).toMatchObject({ status: 'error', code: 'OPT_ERR_UNAUTHORIZED' });
    const wrong = await upload(c, [{ scenario: 's', event: 'e' }], { headers: { authorization: `Bearer ${TOKEN}x` } });
    expect(wrong.status).toBe(401);
    const short = await upload(c, [{ scenario: 's', event: 'e' }], { headers: { authorization: 'Bearer c' } });
    expect(short.status).toBe(401);
    const basic = await upload(c, [{ scenario: 's', event: 'e' }], { headers: { authorization: `Basic ${TOKEN}` } });
    expect(basic.status).toBe(401);
    expect((await request(`${c.url}/api/v1/telemetry`)).status).toBe(401);
    expect((await request(`${c.url}/v1/logs`, { json: {} })).status).toBe(401);
    const ok = await upload(c, [{ scenario: 's', event: 'e' }], { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.body).toEqual({ status: 'accepted', events_received: 1, events_stored: 1 });
    expect((await request(`${c.url}/api/v1/telemetry`, { headers: { authorization: `bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('refuses to start on a non-loopback host without a token, with a clear message', async () => {
    const err = await startCollector({ host: '0.0.0.0', port: 0, dir: tmpDir(), env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/TELEMETRY_AUTH_TOKEN/);
    const fromEnv = await startCollector({ env: { TELEMETRY_HOST: '0.0.0.0', TELEMETRY_PORT: '0', TELEMETRY_DIR: tmpDir() } }).catch((e: unknown) => e);
    expect(fromEnv).toBeInstanceOf(ConfigError);
    const bad = await startCollector({ env: { TELEMETRY_PORT: 'eighty', TELEMETRY_MAX_BODY_BYTES: '-1' } }).catch((e: unknown) => e);
    expect((bad as Error).message).toMatch(/TELEMETRY_PORT="eighty"/);
    expect((bad as Error).message).toMatch(/TELEMETRY_MAX_BODY_BYTES/);
  });

  it('accepts a non-loopback host when a token is set (env settings; options win over env)', () => {
    // Resolved, not bound: tests stay on loopback.
    const config = loadCollectorConfig({ port: 0 }, { TELEMETRY_HOST: '0.0.0.0', TELEMETRY_AUTH_TOKEN: TOKEN, TELEMETRY_PORT: '1' });
    expect(config.host).toBe('0.0.0.0');
    expect(config.port).toBe(0);
    expect(config.authToken).toBe(TOKEN);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('127.0.0.2')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('10.0.0.1')).toBe(false);
    // Only real loopback addresses: each octet checked, IPv4-mapped forms included.
    expect(isLoopbackHost('127.999.0.1')).toBe(false);
    expect(isLoopbackHost('127.0.0.256')).toBe(false);
    expect(isLoopbackHost('[::ffff:127.0.0.1]')).toBe(true);
    expect(isLoopbackHost('::ffff:10.0.0.1')).toBe(false);
    expect(isLoopbackHost('LOCALHOST')).toBe(true);
  });

  it('answers 404 and 405 (with Allow) as coded JSON', async () => {
    const c = await collector();
    const nf = await request(`${c.url}/nothing/here`);
    expect(nf.status).toBe(404);
    expect(nf.body).toMatchObject({ status: 'error', code: 'OPT_ERR_NOT_FOUND' });
    const m = await request(`${c.url}/healthz`, { method: 'DELETE' });
    expect(m.status).toBe(405);
    expect(m.headers.get('allow')).toBe('GET');
    expect(m.body.code).toBe('OPT_ERR_METHOD');
    const up = await request(`${c.url}/api/v1/telemetry/upload`, { method: 'PUT', body: '[]' });
    expect(up.status).toBe(405);
  });

  it('limits the request rate per client with 429 and Retry-After; health is exempt', async () => {
    const c = await collector({ rateLimit: 1, rateBurst: 3 });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 6; i++) {
      const r = await upload(c, [{ scenario: 'rl', event: 'e' }]);
      statuses.push(r.status);
      if (r.status === 429) {
        retryAfter = r.headers.get('retry-after');
        expect(r.body.code).toBe('OPT_ERR_RATE_LIMIT');
      }
    }
    // A burst of 3 passes; with 1 token a second at most one more can have been earned meanwhile.
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(3);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(5);
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await request(`${c.url}/healthz`)).status).toBe(200);
  });

  it('closes gracefully: an in-flight upload finishes and is stored, new connections are refused, close is idempotent', async () => {
    const c = await collector();
    const body = JSON.stringify([{ scenario: 'late', event: 'in_flight', id: 'f-1' }]);
    const answer = new Promise<{ status: number; text: string; connection: string | undefined }>((resolve, reject) => {
      const req = httpRequest(`${c.url}/api/v1/telemetry/upload`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, connection: res.headers.connection }));
      });
      req.on('error', reject);
      req.write(body.slice(0, 10));
      // Finish the body only once the collector is closing.
      const started = Date.now();
      const waitForRequest = setInterval(() => {
        if (c.stats.requests === 0 && Date.now() - started < 10_000) return;
        clearInterval(waitForRequest);
        closing = stop(c);
        setTimeout(() => req.end(body.slice(10)), 100);
      }, 10);
    });
    let closing: Promise<void> | undefined;
    const res = await answer;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ status: 'accepted', events_received: 1, events_stored: 1 });
    expect(res.connection).toBe('close');
    await closing;
    await c.close();
    expect(readJsonl(join(c.dir, 'late.jsonl')).map((l) => l.id)).toEqual(['f-1']);
    await expect(fetch(`${c.url}/healthz`)).rejects.toThrow();
  });

  it('answers 503 with Retry-After beyond the concurrent uploads limit, and serves again afterwards', async () => {
    const c = await collector({ maxConcurrentUploads: 1 });
    // Hold one upload open by sending only part of its body.
    const held = httpRequest(`${c.url}/api/v1/telemetry/upload`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': 40 } });
    const heldAnswer = new Promise<number>((resolve) => held.on('response', (res) => resolve(res.statusCode ?? 0)));
    held.on('error', () => undefined);
    held.write('[{"scenario":"c","event":"held"}');
    const started = Date.now();
    while (c.stats.requests === 0 && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 10));
    const busy = await upload(c, [{ scenario: 'c', event: 'second' }]);
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(busy.body.code).toBe('OPT_ERR_BUSY');
    expect((await request(`${c.url}/api/v1/telemetry`)).status).toBe(200);
    held.end('       ]');
    expect(await heldAnswer).toBe(200);
    expect((await upload(c, [{ scenario: 'c', event: 'third' }])).status).toBe(200);
  });
});
