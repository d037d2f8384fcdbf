import { describe, expect, it } from 'vitest';
import { context, SpanKind, trace, type Span } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { ObservedDatabases } from '../environment/observedDatabases.js';
import { UsageCounters } from './UsageCounters.js';
import { UsageSpanProcessor, type UsageSpanProcessorOptions } from './UsageSpanProcessor.js';

// Explicit parent contexts: no global context manager is registered in this test.
const inside = (span: Span) => trace.setSpan(context.active(), span);

function setup(options: UsageSpanProcessorOptions = {}) {
  const counters = { commands: new UsageCounters(), metrics: new UsageCounters() };
  const databases = new ObservedDatabases();
  const processor = new UsageSpanProcessor({ counters, databases, env: {}, ...options });
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  const tracer = provider.getTracer('test');
  const commands = () => Object.fromEntries(counters.commands.snapshot());
  const metrics = () => Object.fromEntries(counters.metrics.snapshot());
  return { tracer, provider, commands, metrics, databases, processor };
}

describe('UsageSpanProcessor (span bridge) with a real tracer provider', () => {
  it('counts entry spans by name, not the spans inside them; exceptions count as the errors metric', async () => {
    const { tracer, provider, commands, metrics } = setup();
    for (let i = 0; i < 3; i++) {
      const root = tracer.startSpan('CreateOrder');
      const child = tracer.startSpan('validate', {}, inside(root));
      if (i === 0) child.recordException(new Error('bad input'));
      child.end();
      root.end();
    }
    const server = tracer.startSpan('GET /orders', { kind: SpanKind.SERVER }, trace.setSpan(context.active(), tracer.startSpan('outer')));
    server.recordException(new Error('boom'));
    server.recordException(new Error('again'));
    server.end();
    expect(commands()).toEqual({ CreateOrder: 3, 'GET /orders': 1 });
    expect(metrics()).toEqual({ errors: 3 });
    await provider.shutdown();
  });

  it('a span whose parent is remote (another process) is an entry span', () => {
    const { tracer, commands } = setup();
    const remote = trace.setSpanContext(context.active(), { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1, isRemote: true });
    tracer.startSpan('HandleMessage', { kind: SpanKind.INTERNAL }, remote).end();
    expect(commands()).toEqual({ HandleMessage: 1 });
  });

  it('an outgoing call (client/producer) is not a command even without a parent; a server/consumer span is one even with a parent', () => {
    const { tracer, commands } = setup();
    tracer.startSpan('GET', { kind: SpanKind.CLIENT, attributes: { 'http.request.method': 'GET' } }).end();
    tracer.startSpan('publish orders', { kind: SpanKind.PRODUCER }).end();
    const root = tracer.startSpan('batch');
    tracer.startSpan('process orders', { kind: SpanKind.CONSUMER, attributes: { 'messaging.destination.name': 'orders', 'messaging.operation.name': 'process' } }, inside(root)).end();
    tracer.startSpan('GET', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET', 'http.route': '/users/:id' } }, inside(root)).end();
    tracer.startSpan('call', { kind: SpanKind.CLIENT }, inside(root)).end();
    root.end();
    expect(commands()).toEqual({ batch: 1, 'process orders': 1, 'GET /users/:id': 1 });
  });

  it('names commands by http.route (with the method), then RPC, then messaging, then the span name', () => {
    const { tracer, commands } = setup();
    tracer.startSpan('GET', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET', 'http.route': '/users/:id' } }).end();
    tracer.startSpan('POST', { kind: SpanKind.SERVER, attributes: { 'http.method': 'POST', 'http.route': '/users' } }).end();
    tracer.startSpan('GET', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET' } }).end();
    tracer.startSpan('grpc', { kind: SpanKind.SERVER, attributes: { 'rpc.service': 'shop.Orders', 'rpc.method': 'Create' } }).end();
    tracer.startSpan('recv', { kind: SpanKind.CONSUMER, attributes: { 'messaging.destination.name': 'jobs' } }).end();
    expect(commands()).toEqual({ 'GET /users/:id': 1, 'POST /users': 1, GET: 1, 'shop.Orders/Create': 1, jobs: 1 });
  });

  it('records db.system.name / db.system for the environment', () => {
    const { tracer, databases } = setup();
    const root = tracer.startSpan('q');
    tracer.startSpan('SELECT', { attributes: { 'db.system.name': 'postgresql' } }, inside(root)).end();
    tracer.startSpan('SELECT', { attributes: { 'db.system.name': 'postgresql' } }, inside(root)).end();
    tracer.startSpan('get', { attributes: { 'db.system': 'redis' } }, inside(root)).end();
    root.end();
    expect(databases.top()).toBe('postgresql');
  });

  it('counts by an attribute, by a mapping, or every span, as configured', () => {
    const byRoute = setup({ commandAttribute: 'http.route' });
    byRoute.tracer.startSpan('GET', { kind: SpanKind.SERVER, attributes: { 'http.route': '/orders/:id' } }).end();
    byRoute.tracer.startSpan('GET', { kind: SpanKind.SERVER }).end();
    expect(byRoute.commands()).toEqual({ '/orders/:id': 1, GET: 1 });

    const mapped = setup({ commandName: (span) => (span.name.startsWith('cmd:') ? span.name.slice(4) : undefined) });
    mapped.tracer.startSpan('cmd:Deploy').end();
    mapped.tracer.startSpan('noise').end();
    expect(mapped.commands()).toEqual({ Deploy: 1 });

    const all = setup({ env: { TELEMETRY_SPAN_COMMANDS: 'all' } });
    const root = all.tracer.startSpan('root');
    all.tracer.startSpan('child', {}, inside(root)).end();
    root.end();
    expect(all.commands()).toEqual({ root: 1, child: 1 });

    const none = setup({ spans: 'none' });
    none.tracer.startSpan('root').end();
    expect(none.commands()).toEqual({});
  });

  it('rejects an invalid code option at construction; an invalid env var (inside a host app) falls back to the default', () => {
    expect(() => new UsageSpanProcessor({ spans: 'some' as never })).toThrow(/option "spans"/);
    expect(new UsageSpanProcessor({ env: { TELEMETRY_SPAN_COMMANDS: 'some' } }).config.spans).toBe(new UsageSpanProcessor({ env: {} }).config.spans);
  });
});
