import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { productTelemetry } from '../../pipeline/productTelemetry.js';
import { telemetry } from '../api/telemetry.js';
import { tmpDir } from '../../test/helpers.js';
import { telemetryDataHandler } from './telemetryDataHandler.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('telemetryDataHandler', () => {
  it('serves getTelemetryData() as JSON on a plain node:http server, also while telemetry is off', async () => {
    const pt = productTelemetry({ dir: tmpDir(), env: {}, product: { productName: 'shop', productVersion: '2.0.0' } });
    telemetry.countCommand('Checkout', 2);
    const base = await listen(createServer(telemetryDataHandler()));
    const res = await fetch(`${base}/telemetry/data`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const text = await res.text();
    expect(text).toBe(JSON.stringify(pt.getTelemetryData()));
    expect(JSON.parse(text)).toMatchObject({ product: { name: 'shop', version: '2.0.0', internals: { commands: { Checkout: { count: 2 } } } } });
    expect(pt.isEnabled()).toBe(false);

    const head = await fetch(`${base}/telemetry/data`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await fetch(`${base}/telemetry/data`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(await post.json()).toEqual({ error: 'method not allowed', code: 'OPT_ERR_METHOD' });
  });

  it('mounts in one line on an express app', async () => {
    const app = express();
    app.get('/telemetry/data', telemetryDataHandler({ source: () => ({ installation: 'i', product: { name: 'n', version: 'v', edition: 'community', internals: { runtime: { vendor: 'Node.js', version: '20' }, commands: {}, metrics: {}, integrations: [] } } }) }));
    const base = await listen(createServer(app));
    const res = await fetch(`${base}/telemetry/data`);
    expect(res.status).toBe(200);
    expect((await res.json()) as unknown).toMatchObject({ installation: 'i', product: { name: 'n' } });
  });

  it('answers 500 with a coded JSON error when the source fails, and the server keeps serving', async () => {
    let fail = true;
    const base = await listen(createServer(telemetryDataHandler({ source: () => { if (fail) throw new Error('nope'); return JSON.parse('{"installation":"x"}'); } })));
    const bad = await fetch(base);
    expect(bad.status).toBe(500);
    expect(await bad.json()).toEqual({ error: 'telemetry data unavailable', code: 'OPT_ERR_INTERNAL' });
    fail = false;
    expect((await fetch(base)).status).toBe(200);
  });
});
