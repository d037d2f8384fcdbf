import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { runNode } from '../helpers.js';
import { collector, request } from '../server/setup.js';

const app = join(import.meta.dirname, 'apps/http-instrumented-app.ts');

interface AppResult {
  commands: Record<string, number>;
  spans: { name: string; kind: string; parent: string; route?: string }[];
}

// The server the app calls once per request: in this (uninstrumented) process, so its requests are not the app's.
let backend: Server;
let backendUrl: string;
let backendHits = 0;
beforeAll(async () => {
  backend = createServer((req, res) => {
    backendHits++;
    res.end(`profile ${req.url} traceparent=${req.headers.traceparent ? 'yes' : 'no'}`);
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => backend.close(() => resolve())));

async function runApp(service: string, express: boolean, collectorUrl: string): Promise<AppResult> {
  const hits = backendHits;
  const r = await runNode(app, { env: { BACKEND_URL: backendUrl, COLLECTOR_URL: collectorUrl, SERVICE: service, EXPRESS: express ? '1' : '0', REQUESTS: '4' }, timeoutMs: 60_000 });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(backendHits - hits).toBe(4);
  return JSON.parse(r.stdout.trim()) as AppResult;
}

const count = (spans: AppResult['spans'], kind: string, parent?: string) => spans.filter((s) => s.kind === kind && (parent === undefined || s.parent === parent)).length;

describe('span bridge with the stock HTTP / Express instrumentations (child process, real loopback HTTP)', () => {
  it('4 incoming requests that each make an outgoing call are 4 commands, in-process and at the collector alike', async () => {
    const c = await collector();

    const plain = await runApp('plain-http-app', false, c.url);
    // What the instrumentation recorded: 4 server spans (remote parents: the app's own client requests), 4 client
    // spans without a parent (the requests the app sent itself), 4 client spans inside the server spans.
    expect(count(plain.spans, 'SERVER')).toBe(4);
    expect(count(plain.spans, 'CLIENT', 'none')).toBe(4);
    expect(count(plain.spans, 'CLIENT', 'local')).toBe(4);
    // Without a route, a server span is named by its method (the span name).
    expect(plain.commands).toEqual({ GET: 4 });

    const withExpress = await runApp('express-app', true, c.url);
    expect(withExpress.spans.filter((s) => s.kind === 'SERVER').map((s) => s.route)).toEqual(Array(4).fill('/users/:id'));
    expect(count(withExpress.spans, 'CLIENT', 'none')).toBe(4);
    expect(withExpress.spans.filter((s) => s.kind === 'INTERNAL').length).toBeGreaterThanOrEqual(4); // Express's own spans
    expect(withExpress.commands).toEqual({ 'GET /users/:id': 4 });

    // The same spans, exported by the stock OTLP/HTTP exporter, count the same at the collector's /v1/traces.
    const atCollector = async (scenario: string) => {
      const res = await request(`${c.url}/api/v1/telemetry/${scenario}`);
      expect(res.status).toBe(200);
      return { commands: res.body.commands, errors: res.body.errors };
    };
    expect(await atCollector('plain-http-app')).toEqual({ commands: plain.commands, errors: 0 });
    expect(await atCollector('express-app')).toEqual({ commands: withExpress.commands, errors: 0 });
  });
});
