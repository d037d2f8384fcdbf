import { describe, expect, it } from 'vitest';
import { traceUsageOf } from './traceUsage.js';

const opts = { defaultScenario: 'default', maxSpans: 100 };
const req = (resource: unknown, spans: unknown[]) => ({ resourceSpans: [{ resource, scopeSpans: [{ spans }] }] });

describe('traceUsageOf (OTLP traces → usage, the span bridge rules)', () => {
  it('counts entry spans: no parent, remote parent (OTLP flags), server or consumer kind', () => {
    const r = traceUsageOf(
      req({ attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, [
        { name: 'Root' },
        { name: 'Inner', parentSpanId: '00f067aa0ba902b7' },
        { name: 'FromRemote', parentSpanId: '00f067aa0ba902b7', flags: 0x300 },
        { name: 'RemoteUnknown', parentSpanId: '00f067aa0ba902b7', flags: 0x200 },
        { name: 'Server', parentSpanId: '00f067aa0ba902b7', kind: 2 },
        { name: 'Consumer', parentSpanId: '00f067aa0ba902b7', kind: 'SPAN_KIND_CONSUMER' },
        { name: 'Client', parentSpanId: '00f067aa0ba902b7', kind: 3, events: [{ name: 'exception' }, { name: 'log' }, { name: 'exception' }] },
      ]),
      opts,
    );
    expect(Object.fromEntries(r.byScenario.get('svc')!.commands)).toEqual({ Root: 1, FromRemote: 1, Server: 1, Consumer: 1 });
    expect(r.byScenario.get('svc')!.errors).toBe(2);
    expect(r.spans).toBe(7);
  });

  it('a client or producer span without a parent is not an entry span; names come from route, RPC, messaging, else the span name', () => {
    const s = (key: string, v: string) => ({ key, value: { stringValue: v } });
    const r = traceUsageOf(
      req(undefined, [
        { name: 'GET', kind: 3 },
        { name: 'GET', kind: 'SPAN_KIND_CLIENT', parentSpanId: '00f067aa0ba902b7', flags: 0x300 },
        { name: 'publish', kind: 4 },
        { name: 'GET', kind: 2, attributes: [s('http.request.method', 'GET'), s('http.route', '/users/:id'), { key: 'http.response.status_code', value: { intValue: 200 } }] },
        { name: 'POST', kind: 2, parentSpanId: '00f067aa0ba902b7', flags: 0x300, attributes: [s('http.method', 'POST'), s('http.route', '/users')] },
        { name: 'GET', kind: 2, attributes: [s('http.request.method', 'GET')] },
        { name: 'grpc', kind: 2, attributes: [s('rpc.service', 'shop.Orders'), s('rpc.method', 'Create')] },
        { name: 'recv', kind: 5, parentSpanId: '00f067aa0ba902b7', attributes: [s('messaging.destination.name', 'jobs'), s('messaging.operation', 'receive')] },
        { name: 'Job', kind: 1 },
      ]),
      opts,
    );
    expect(Object.fromEntries(r.byScenario.get('default')!.commands)).toEqual({
      'GET /users/:id': 1,
      'POST /users': 1,
      GET: 1,
      'shop.Orders/Create': 1,
      'receive jobs': 1,
      Job: 1,
    });
  });

  it('scenario: telemetry.scenario, else service.name made file-safe, else the default (unknown_service skipped)', () => {
    const named = (attrs: [string, string][]) => ({ attributes: attrs.map(([key, v]) => ({ key, value: { stringValue: v } })) });
    const r = traceUsageOf(
      {
        resourceSpans: [
          { resource: named([['service.name', '@acme/shop api']]), scopeSpans: [{ spans: [{ name: 'a' }] }] },
          { resource: named([['service.name', 'x'], ['telemetry.scenario', 'explicit']]), scopeSpans: [{ spans: [{ name: 'b' }] }] },
          { resource: named([['service.name', 'unknown_service:node']]), scopeSpans: [{ spans: [{ name: 'c' }] }] },
        ],
      },
      opts,
    );
    expect([...r.byScenario.keys()]).toEqual(['acme-shop-api', 'explicit', 'default']);
  });

  it('refuses more spans than allowed and non-objects, and skips unusable names', () => {
    expect(() => traceUsageOf(req(undefined, [{ name: 'a' }, { name: 'b' }]), { ...opts, maxSpans: 1 })).toThrow(/TELEMETRY_MAX_EVENTS_PER_REQUEST/);
    expect(() => traceUsageOf('nope', opts)).toThrow(/ExportTraceServiceRequest/);
    const r = traceUsageOf(req(undefined, [{ name: '' }, { name: 'x'.repeat(129) }, 42, { name: 'ok' }]), opts);
    expect(r.skipped).toBe(2);
    expect(Object.fromEntries(r.byScenario.get('default')!.commands)).toEqual({ ok: 1 });
  });
});
