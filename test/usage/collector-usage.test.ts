import { describe, expect, it, vi } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpanKind, context, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter as HttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { collector, request, stop } from '../server/setup.js';
import { tmpDir } from '../helpers.js';

/** A real tracer provider of an app named `service`, exporting with a stock OTLP exporter to the collector. */
async function exportSpans(service: string, exporter: SpanExporter, work: (tracer: ReturnType<BasicTracerProvider['getTracer']>) => void): Promise<void> {
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': service }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  work(provider.getTracer('app'));
  await provider.forceFlush();
  await provider.shutdown();
}

function orderWork(tracer: ReturnType<BasicTracerProvider['getTracer']>): void {
  for (let i = 0; i < 3; i++) {
    const root = tracer.startSpan('CreateOrder', { kind: SpanKind.SERVER });
    const child = tracer.startSpan('INSERT orders', { attributes: { 'db.system.name': 'postgresql' } }, trace.setSpan(context.active(), root));
    if (i === 0) child.recordException(new Error('unique violation'));
    child.end();
    root.end();
  }
  tracer.startSpan('CancelOrder').end();
}

describe('collector: OTLP traces → usage per scenario (real OTLP exporters)', () => {
  it('JSON (exporter-trace-otlp-http) and protobuf (exporter-trace-otlp-proto) become commands/errors in the summaries; spans are not stored; kept across a restart', async () => {
    const dir = tmpDir('collector-');
    const c = await collector({ dir, traceUsageSaveIntervalMs: 10 });
    await exportSpans('orders-app', new HttpJsonExporter({ url: `${c.url}/v1/traces` }), orderWork);
    await exportSpans('@acme/billing', new ProtoExporter({ url: `${c.url}/v1/traces` }), (tracer) => {
      const span = tracer.startSpan('Invoice');
      span.recordException(new Error('card declined'));
      span.end();
    });

    const orders = await request(`${c.url}/api/v1/telemetry/orders-app`);
    expect(orders.status).toBe(200);
    expect(orders.body).toEqual({
      scenario: 'orders-app',
      total_events: 0,
      last_event: null,
      failure_counts: {},
      recent_failures: [],
      commands: { CancelOrder: 1, CreateOrder: 3 },
      errors: 1,
    });
    const all = await request(`${c.url}/api/v1/telemetry`);
    expect(all.body.scenarios.map((s: { scenario: string }) => s.scenario)).toEqual(['acme-billing', 'orders-app']);
    expect(all.body.scenarios[0]).toMatchObject({ scenario: 'acme-billing', commands: { Invoice: 1 }, errors: 1 });
    // Spans themselves are never stored: no scenario files, only the usage counts.
    expect(readdirSync(dir).filter((f) => f.endsWith('.jsonl'))).toEqual([]);
    // Saved off the request path (at most every TELEMETRY_TRACE_USAGE_SAVE_INTERVAL_MS).
    await vi.waitFor(() => expect(JSON.parse(readFileSync(join(dir, 'trace-usage.json'), 'utf8')).scenarios['orders-app']).toEqual({ commands: { CancelOrder: 1, CreateOrder: 3 }, errors: 1 }));

    await stop(c);
    const again = await collector({ dir });
    await exportSpans('orders-app', new HttpJsonExporter({ url: `${again.url}/v1/traces` }), (tracer) => tracer.startSpan('CreateOrder').end());
    expect((await request(`${again.url}/api/v1/telemetry/orders-app`)).body).toMatchObject({ commands: { CancelOrder: 1, CreateOrder: 4 }, errors: 1 });
  });

  it('a scenario that also has stored events gets commands/errors next to its event numbers; others keep their shape', async () => {
    const c = await collector();
    const up = await request(`${c.url}/api/v1/telemetry/upload`, { json: [{ scenario: 'shop', event: 'app_start' }, { scenario: 'plain', event: 'app_start' }] });
    expect(up.status).toBe(200);
    await exportSpans('shop', new HttpJsonExporter({ url: `${c.url}/v1/traces` }), (tracer) => tracer.startSpan('Checkout').end());
    const shop = await request(`${c.url}/api/v1/telemetry/shop`);
    expect(shop.body).toMatchObject({ scenario: 'shop', total_events: 1, commands: { Checkout: 1 }, errors: 0 });
    const plain = await request(`${c.url}/api/v1/telemetry/plain`);
    expect(Object.keys(plain.body)).toEqual(['scenario', 'total_events', 'last_event', 'failure_counts', 'recent_failures']);
  });

  it('answers bad input with OTLP status bodies, never crashes', async () => {
    const c = await collector();
    const badJson = await request(`${c.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
    expect(badJson.status).toBe(400);
    expect(badJson.body).toMatchObject({ code: 3, message: expect.stringContaining('OPT_ERR_PARSE') });
    const badProto = await request(`${c.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array([0x0a, 0xff, 0xff]) });
    expect(badProto.status).toBe(400);
    const badType = await request(`${c.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(badType.status).toBe(415);
    const tooMany = await collector({ maxEventsPerRequest: 1 });
    const spans = { resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'a' }, { name: 'b' }] }] }] };
    expect((await request(`${tooMany.url}/v1/traces`, { json: spans })).status).toBe(413);
    const ok = await request(`${c.url}/v1/traces`, { json: { resourceSpans: [{ scopeSpans: [{ spans: [{ name: '' }, { name: 'Fine', kind: 'SPAN_KIND_SERVER', parentSpanId: 'abcdef0123456789' }] }] }] } });
    expect(ok.status).toBe(200);
    expect(ok.body.partialSuccess.errorMessage).toContain('1 entry span(s) not counted');
    expect((await request(`${c.url}/api/v1/telemetry/default`)).body).toMatchObject({ commands: { Fine: 1 } });
  });
});

describe('collector: Camunda transparency and toggle routes', () => {
  it('GET /telemetry/data serves the collector installation\'s data; sends nothing', async () => {
    const c = await collector();
    const res = await request(`${c.url}/telemetry/data`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      installation: expect.stringMatching(/^[0-9a-f-]{36}$/),
      product: { edition: 'community', internals: { runtime: { vendor: 'Node.js', version: process.versions.node } } },
    });
    // Telemetry is off for this dir: not even the installation id is written.
    expect(existsSync(join(c.dir, 'installation-id'))).toBe(false);
  });

  it('GET/POST /telemetry/configuration read and toggle consent, persisted in the dir and kept across a restart; the token applies', async () => {
    const dir = tmpDir('collector-');
    const token = 'secret-token-123';
    const auth = { authorization: `Bearer ${token}` };
    const c = await collector({ dir, authToken: token });
    expect((await request(`${c.url}/telemetry/configuration`, { headers: auth })).body).toEqual({ enableTelemetry: false });
    const noToken = await request(`${c.url}/telemetry/configuration`, { json: { enableTelemetry: true } });
    expect(noToken.status).toBe(401);
    const on = await request(`${c.url}/telemetry/configuration`, { json: { enableTelemetry: true }, headers: auth });
    expect(on.status).toBe(204);
    expect(on.text).toBe('');
    expect((await request(`${c.url}/telemetry/configuration`, { headers: auth })).body).toEqual({ enableTelemetry: true });
    expect(JSON.parse(readFileSync(join(dir, 'consent.json'), 'utf8'))).toMatchObject({ enabled: true });
    // Now on: the installation id is persisted on the next look at the data.
    const data = await request(`${c.url}/telemetry/data`, { headers: auth });
    expect(readFileSync(join(dir, 'installation-id'), 'utf8').trim()).toBe(data.body.installation);

    const bad = await request(`${c.url}/telemetry/configuration`, { json: { enableTelemetry: 'yes' }, headers: auth });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'OPT_ERR_VALIDATION', field: 'enableTelemetry' });
    expect((await request(`${c.url}/telemetry/configuration`, { method: 'POST', body: 'x', headers: { ...auth, 'content-type': 'text/plain' } })).status).toBe(415);

    await stop(c);
    const again = await collector({ dir, authToken: token });
    expect((await request(`${again.url}/telemetry/configuration`, { headers: auth })).body).toEqual({ enableTelemetry: true });
    expect((await request(`${again.url}/telemetry/configuration`, { json: { enableTelemetry: false }, headers: auth })).status).toBe(204);
    expect((await request(`${again.url}/telemetry/configuration`, { headers: auth })).body).toEqual({ enableTelemetry: false });
  });
});
