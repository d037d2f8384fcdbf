import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClickHouseStore } from '../../collector/stores/index.js';
import { readJsonl } from '../helpers.js';
import { rawRequest, type RawResponse } from '../hostile/rawHttp.js';
import { collector, request } from './setup.js';

/**
 * Browser-safe by default (issue 15 item 3): DNS rebinding (a foreign Host reaching a loopback collector), foreign
 * Origins, CORS only for the ingest routes and listed origins, admin token for consent, reserved route names, and
 * /readyz. Requests go over raw sockets so Host and Origin are exactly what a hostile page's browser would send.
 */

const CONSENT = 'consent.json';
const ADMIN = 'admin-token-0123456789';
const TOKEN = 'ordinary-token-0123456789';

interface Req {
  method?: string;
  path: string;
  host?: string;
  headers?: string[];
  json?: unknown;
  contentType?: string;
}

function send(port: number, r: Req): Promise<RawResponse> {
  const lines = [`${r.method ?? (r.json === undefined ? 'GET' : 'POST')} ${r.path} HTTP/1.1`, `Host: ${r.host ?? `127.0.0.1:${port}`}`, 'Connection: close', ...(r.headers ?? [])];
  const body = r.json === undefined ? undefined : Buffer.from(JSON.stringify(r.json));
  if (body !== undefined) lines.push(`Content-Type: ${r.contentType ?? 'application/json'}`, `Content-Length: ${body.length}`);
  return rawRequest(port, { head: lines.join('\r\n'), body: body === undefined ? undefined : [body], timeoutMs: 10_000 });
}

function expectRefused(res: RawResponse, status: number, code: string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.headers['content-type']).toMatch(/application\/json/);
  expect(res.body).toMatchObject({ status: 'error', code });
}

const consentOf = (dir: string): string | undefined => (existsSync(join(dir, CONSENT)) ? readFileSync(join(dir, CONSENT), 'utf8') : undefined);

describe('without a token: only loopback Host values, no foreign Origin (DNS rebinding)', () => {
  it('refuses a foreign Host with 421 on every kind of route, and a rebinding POST /telemetry/configuration changes nothing', async () => {
    const c = await collector();
    const evil = `evil.example:${c.port}`;
    const before = consentOf(c.dir);
    const rebinding = await send(c.port, { path: '/telemetry/configuration', host: evil, headers: [`Origin: http://${evil}`], json: { enableTelemetry: true } });
    expectRefused(rebinding, 421, 'OPT_ERR_HOST');
    expect(consentOf(c.dir)).toBe(before);
    // Without an Origin too (a rebinding page's same-origin GET may omit it).
    for (const path of ['/api/v1/telemetry', '/telemetry/data', '/telemetry/configuration', '/api/v1/telemetry/s/events', '/healthz']) {
      expectRefused(await send(c.port, { path, host: 'evil.example' }), 421, 'OPT_ERR_HOST');
    }
    expectRefused(await send(c.port, { path: '/api/v1/telemetry/upload', host: evil, json: [{ scenario: 'rebind', event: 'e' }] }), 421, 'OPT_ERR_HOST');
    expectRefused(await send(c.port, { path: '/api/v1/telemetry', host: '127.0.0.1.evil.example' }), 421, 'OPT_ERR_HOST');
    expectRefused(await send(c.port, { path: '/api/v1/telemetry', host: 'localhost@evil.example' }), 421, 'OPT_ERR_HOST');
    expect(existsSync(join(c.dir, 'rebind.jsonl'))).toBe(false);
    expect((await request(`${c.url}/telemetry/configuration`)).body).toEqual({ enableTelemetry: false });
  });

  it('refuses a foreign or null Origin with 403, even with a loopback Host', async () => {
    const c = await collector();
    const before = consentOf(c.dir);
    const post = await send(c.port, { path: '/telemetry/configuration', headers: ['Origin: http://evil.example'], json: { enableTelemetry: true } });
    expectRefused(post, 403, 'OPT_ERR_ORIGIN');
    expectRefused(await send(c.port, { path: '/telemetry/configuration', headers: ['Origin: null'], json: { enableTelemetry: true } }), 403, 'OPT_ERR_ORIGIN');
    expect(consentOf(c.dir)).toBe(before);
    expectRefused(await send(c.port, { path: '/api/v1/telemetry', headers: ['Origin: http://evil.example'] }), 403, 'OPT_ERR_ORIGIN');
    expectRefused(await send(c.port, { path: '/telemetry/data', headers: [`Origin: http://localhost:${c.port + 1}`] }), 403, 'OPT_ERR_ORIGIN');
    const upload = await send(c.port, { path: '/api/v1/telemetry/upload', headers: ['Origin: http://evil.example'], json: [{ scenario: 'xsite', event: 'e' }] });
    expectRefused(upload, 403, 'OPT_ERR_ORIGIN');
    expect(upload.headers['access-control-allow-origin']).toBeUndefined();
    expect(existsSync(join(c.dir, 'xsite.jsonl'))).toBe(false);
    // CORS is off: a preflight is refused.
    expectRefused(await send(c.port, { method: 'OPTIONS', path: '/api/v1/telemetry/upload', headers: ['Origin: http://evil.example', 'Access-Control-Request-Method: POST'] }), 403, 'OPT_ERR_ORIGIN');
  });

  it('serves loopback names with any port, and the collector\'s own origin (consent toggled)', async () => {
    const c = await collector();
    for (const host of [`127.0.0.1:${c.port}`, `localhost:${c.port}`, 'LOCALHOST', `[::1]:${c.port}`, '127.0.0.1:1']) {
      const res = await send(c.port, { path: '/api/v1/telemetry', host });
      expect(res.status, `${host}: ${res.text}`).toBe(200);
    }
    const own = `http://127.0.0.1:${c.port}`;
    const on = await send(c.port, { path: '/telemetry/configuration', headers: [`Origin: ${own}`], json: { enableTelemetry: true } });
    expect(on.status, on.text).toBe(204);
    expect(JSON.parse(consentOf(c.dir)!)).toMatchObject({ enabled: true });
    const up = await send(c.port, { path: '/api/v1/telemetry/upload', host: `localhost:${c.port}`, headers: [`Origin: http://localhost:${c.port}`], json: [{ scenario: 'own', event: 'e' }] });
    expect(up.status, up.text).toBe(200);
    expect(readJsonl(join(c.dir, 'own.jsonl'))).toHaveLength(1);
  });

  it('serves the host it was told to listen on', async () => {
    const c = await collector({ host: 'localhost' });
    expect((await send(c.port, { path: '/healthz', host: `localhost:${c.port}` })).status).toBe(200);
    expectRefused(await send(c.port, { path: '/healthz', host: `evil.example:${c.port}` }), 421, 'OPT_ERR_HOST');
  });
});

describe('CORS: off unless TELEMETRY_CORS_ORIGINS lists the origin, and then only for the ingest routes', () => {
  const APP = 'https://app.example.com';

  it('answers the preflight for listed origins on ingest routes only, and sets Access-Control-Allow-Origin there', async () => {
    const c = await collector({ env: { TELEMETRY_CORS_ORIGINS: `${APP}, http://other.example:8080` } });
    for (const path of ['/api/v1/telemetry/upload', '/appcd/telemetry', '/appcd/telemetry/crash', '/v1/logs', '/v1/traces', '/v1/metrics']) {
      const pre = await send(c.port, { method: 'OPTIONS', path, headers: [`Origin: ${APP}`, 'Access-Control-Request-Method: POST', 'Access-Control-Request-Headers: content-type'] });
      expect(pre.status, `${path}: ${pre.text}`).toBe(204);
      expect(pre.headers['access-control-allow-origin']).toBe(APP);
      expect(pre.headers['access-control-allow-methods']).toBe('POST');
      expect(pre.headers['access-control-allow-headers']).toMatch(/content-type/i);
      expect(pre.headers.vary).toMatch(/origin/i);
    }
    // Not listed, not an ingest route, or not the route's method: refused.
    expectRefused(await send(c.port, { method: 'OPTIONS', path: '/api/v1/telemetry/upload', headers: ['Origin: https://evil.example', 'Access-Control-Request-Method: POST'] }), 403, 'OPT_ERR_ORIGIN');
    expectRefused(await send(c.port, { method: 'OPTIONS', path: '/telemetry/configuration', headers: [`Origin: ${APP}`, 'Access-Control-Request-Method: POST'] }), 403, 'OPT_ERR_ORIGIN');
    expectRefused(await send(c.port, { method: 'OPTIONS', path: '/api/v1/telemetry', headers: [`Origin: ${APP}`, 'Access-Control-Request-Method: GET'] }), 403, 'OPT_ERR_ORIGIN');
    expectRefused(await send(c.port, { method: 'OPTIONS', path: '/api/v1/telemetry/upload', headers: [`Origin: ${APP}`, 'Access-Control-Request-Method: DELETE'] }), 403, 'OPT_ERR_ORIGIN');

    const up = await send(c.port, { path: '/api/v1/telemetry/upload', headers: [`Origin: ${APP}`], json: [{ scenario: 'cors', event: 'e' }] });
    expect(up.status, up.text).toBe(200);
    expect(up.headers['access-control-allow-origin']).toBe(APP);
    expect(readJsonl(join(c.dir, 'cors.jsonl'))).toHaveLength(1);
    // An error answer of an ingest route is readable by the listed origin too.
    const bad = await send(c.port, { path: '/api/v1/telemetry/upload', headers: ['Origin: http://other.example:8080'], json: [{ event: '' }] });
    expect(bad.status).toBe(400);
    expect(bad.headers['access-control-allow-origin']).toBe('http://other.example:8080');
    // Everything else stays same-origin, for listed origins too.
    const read = await send(c.port, { path: '/api/v1/telemetry', headers: [`Origin: ${APP}`] });
    expectRefused(read, 403, 'OPT_ERR_ORIGIN');
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
    expectRefused(await send(c.port, { path: '/telemetry/configuration', headers: [`Origin: ${APP}`], json: { enableTelemetry: true } }), 403, 'OPT_ERR_ORIGIN');
    expect(consentOf(c.dir)).toBeUndefined();
  });

  it('refuses a malformed origin list at start, naming the variable', async () => {
    for (const bad of ['*', 'null', 'https://app.example.com/path', 'app.example.com']) {
      const err = await collector({ env: { TELEMETRY_CORS_ORIGINS: bad } }).catch((e: unknown) => e);
      expect((err as Error).message, bad).toMatch(/TELEMETRY_CORS_ORIGINS/);
    }
  });
});

describe('state-changing routes: tokens, JSON only, no cross-site requests', () => {
  it('with TELEMETRY_ADMIN_TOKEN, consent needs it: the ordinary token is 403, none is 401; the admin token also works for ingest', async () => {
    const c = await collector({ authToken: TOKEN, adminToken: ADMIN });
    const body = { enableTelemetry: true };
    expectRefused(await send(c.port, { path: '/telemetry/configuration', json: body }), 401, 'OPT_ERR_UNAUTHORIZED');
    const ordinary = await send(c.port, { path: '/telemetry/configuration', headers: [`Authorization: Bearer ${TOKEN}`], json: body });
    expectRefused(ordinary, 403, 'OPT_ERR_FORBIDDEN');
    expect((ordinary.body as { error: string }).error).toMatch(/TELEMETRY_ADMIN_TOKEN/);
    expect(consentOf(c.dir)).toBeUndefined();
    // Simple cross-site shapes are refused even with the admin token.
    expectRefused(await send(c.port, { path: '/telemetry/configuration', headers: [`Authorization: Bearer ${ADMIN}`], json: body, contentType: 'text/plain' }), 415, 'OPT_ERR_CONTENT_TYPE');
    expectRefused(await send(c.port, { path: '/telemetry/configuration', headers: [`Authorization: Bearer ${ADMIN}`], json: body, contentType: 'application/x-www-form-urlencoded' }), 415, 'OPT_ERR_CONTENT_TYPE');
    expectRefused(await send(c.port, { path: '/telemetry/configuration', headers: [`Authorization: Bearer ${ADMIN}`, 'Origin: null'], json: body }), 403, 'OPT_ERR_ORIGIN');
    expectRefused(await send(c.port, { path: '/telemetry/configuration', headers: [`Authorization: Bearer ${ADMIN}`, 'Origin: https://evil.example'], json: body }), 403, 'OPT_ERR_ORIGIN');
    expect(consentOf(c.dir)).toBeUndefined();
    const ok = await send(c.port, { path: '/telemetry/configuration', headers: [`Authorization: Bearer ${ADMIN}`], json: body });
    expect(ok.status, ok.text).toBe(204);
    expect(JSON.parse(consentOf(c.dir)!)).toMatchObject({ enabled: true });
    // Reading and ingest: the ordinary token, or the admin token.
    expect((await send(c.port, { path: '/telemetry/configuration', headers: [`Authorization: Bearer ${TOKEN}`] })).body).toEqual({ enableTelemetry: true });
    expect((await send(c.port, { path: '/api/v1/telemetry/upload', headers: [`Authorization: Bearer ${ADMIN}`], json: [{ scenario: 'a', event: 'e' }] })).status).toBe(200);
    expect((await send(c.port, { path: '/api/v1/telemetry/upload', headers: [`Authorization: Bearer ${TOKEN}`], json: [{ scenario: 'a', event: 'e' }] })).status).toBe(200);
  });

  it('with only TELEMETRY_AUTH_TOKEN, consent needs it and still refuses a foreign/null Origin (the Host is not checked)', async () => {
    const c = await collector({ authToken: TOKEN });
    const auth = `Authorization: Bearer ${TOKEN}`;
    expectRefused(await send(c.port, { path: '/telemetry/configuration', headers: [auth, 'Origin: null'], json: { enableTelemetry: true } }), 403, 'OPT_ERR_ORIGIN');
    expectRefused(await send(c.port, { path: '/telemetry/configuration', headers: [auth, 'Origin: http://evil.example'], json: { enableTelemetry: true } }), 403, 'OPT_ERR_ORIGIN');
    expectRefused(await send(c.port, { path: '/telemetry/configuration', json: { enableTelemetry: true } }), 401, 'OPT_ERR_UNAUTHORIZED');
    expect(consentOf(c.dir)).toBeUndefined();
    const ok = await send(c.port, { path: '/telemetry/configuration', host: 'collector.internal:4318', headers: [auth], json: { enableTelemetry: true } });
    expect(ok.status, ok.text).toBe(204);
  });

  it('with TELEMETRY_ADMIN_TOKEN alone, consent needs it while ingest stays open on loopback', async () => {
    const c = await collector({ adminToken: ADMIN });
    expectRefused(await send(c.port, { path: '/telemetry/configuration', json: { enableTelemetry: true } }), 401, 'OPT_ERR_UNAUTHORIZED');
    expect((await send(c.port, { path: '/telemetry/configuration', headers: [`Authorization: Bearer ${ADMIN}`], json: { enableTelemetry: true } })).status).toBe(204);
    expect((await send(c.port, { path: '/api/v1/telemetry/upload', json: [{ scenario: 'open', event: 'e' }] })).status).toBe(200);
    // No ordinary token: the Host check still applies.
    expectRefused(await send(c.port, { path: '/api/v1/telemetry', host: 'evil.example' }), 421, 'OPT_ERR_HOST');
  });
});

describe('reserved route names are never scenarios', () => {
  it('GET /api/v1/telemetry/upload is 405 with Allow, not the summary of a scenario "upload"', async () => {
    const c = await collector();
    const res = await send(c.port, { path: '/api/v1/telemetry/upload' });
    expectRefused(res, 405, 'OPT_ERR_METHOD');
    expect(res.headers.allow).toBe('POST');
    expectRefused(await send(c.port, { path: '/api/v1/telemetry/upload/events' }), 400, 'OPT_ERR_SCENARIO');
    expectRefused(await send(c.port, { path: '/api/v1/telemetry/%75pload' }), 400, 'OPT_ERR_SCENARIO');
    // Other names are still scenarios.
    expectRefused(await send(c.port, { path: '/api/v1/telemetry/uploads' }), 404, 'OPT_ERR_NOT_FOUND');
  });
});

describe('GET /readyz', () => {
  it('is 200 while the JSONL store is usable, 503 with Retry-After when its data dir is replaced, 200 again once restored', async () => {
    const c = await collector();
    const ok = await send(c.port, { path: '/readyz' });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toEqual({ status: 'ok', store: 'jsonl' });
    const aside = `${c.dir}.aside`;
    renameSync(c.dir, aside);
    writeFileSync(c.dir, 'not a directory');
    await new Promise((r) => setTimeout(r, 1100)); // readiness answers are shared for a second
    const down = await send(c.port, { path: '/readyz' });
    expectRefused(down, 503, 'OPT_ERR_NOT_READY');
    expect(down.headers['retry-after']).toBe('5');
    expect((await send(c.port, { path: '/healthz' })).status).toBe(200); // alive, just not ready
    rmSync(c.dir);
    renameSync(aside, c.dir);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await send(c.port, { path: '/readyz' })).status).toBe(200);
  });

  it('stays ready when one scenario file cannot be written (the probe write in the dir succeeds)', async () => {
    const c = await collector();
    mkdirSync(join(c.dir, 'blocked.jsonl')); // a directory where the scenario's file should be: writes fail
    const up = await send(c.port, { path: '/api/v1/telemetry/upload', json: [{ scenario: 'blocked', event: 'e' }] });
    expect(up.status, up.text).toBe(503);
    // The dir itself is writable, so the probe succeeds: ready (one scenario's file is broken, not the store).
    expect((await send(c.port, { path: '/readyz' })).status).toBe(200);
  });

  it('is 503 when the ClickHouse store does not answer (closed port); needs no token', async () => {
    const port = await closedPort();
    const store = new ClickHouseStore({ url: `http://127.0.0.1:${port}`, timeoutMs: 500, env: {} });
    // Opened without ClickHouse (open would retry and fail): only readiness is under test here.
    const opened = Object.assign(Object.create(store) as ClickHouseStore, { open: () => Promise.resolve() });
    const c = await collector({ customStore: opened, authToken: TOKEN });
    const res = await send(c.port, { path: '/readyz' });
    expectRefused(res, 503, 'OPT_ERR_NOT_READY');
    expect(res.headers['retry-after']).toBe('5');
    expect((res.body as { error: string }).error).toMatch(/clickhouse/);
    expect((res.body as { error: string }).error).not.toContain(String(port)); // no internal address to anonymous callers
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
