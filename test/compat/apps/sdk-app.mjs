// A host app with a stock NodeSDK, on whichever OTel JS line is installed. MODE: spread (the README's drop-in),
// detectors (our resource attributes added, NodeSDK's defaults kept), none (the same app without product telemetry).
import { NodeSDK } from '@opentelemetry/sdk-node';
import * as api from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';
import { nodeSdkResourceDetectors, productTelemetry, telemetry, UsageSpanProcessor } from 'otel-product-telemetry';

const mode = process.env.MODE ?? 'spread';
const pt = mode === 'none' ? undefined : productTelemetry();
const spans = [];
const capture = { onStart() {}, onEnd: (span) => spans.push(span), forceFlush: async () => {}, shutdown: async () => {} };
const exporter = process.env.TRACES_URL ? [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: process.env.TRACES_URL }) })] : [];
const sdk = new NodeSDK({
  ...pt,
  ...(mode === 'detectors' ? { resourceDetectors: [...nodeSdkResourceDetectors(), ...pt.resourceDetectors] } : {}),
  spanProcessors: [capture, new UsageSpanProcessor(), ...exporter],
});
sdk.start();

const acks = {};
acks.event = await telemetry.event({ event: 'app_start', version: '1.0.0' });
acks.crash = await telemetry.crash(new Error('handled crash'));
// An ordinary application log through the host's LoggerProvider (the Logs API lives in @opentelemetry/api on the
// 3.x line, in @opentelemetry/api-logs on 2.x).
const logsApi = api.logs ?? (await import('@opentelemetry/api-logs')).logs;
logsApi.getLogger('my-app').emit({ body: 'hello app log', severityNumber: 9 });

// 4 incoming requests, each making one outgoing call, and 2 outgoing calls outside any request.
const tracer = api.trace.getTracer('compat-app');
for (let i = 0; i < 4; i++) {
  const server = tracer.startSpan('GET /orders', { kind: api.SpanKind.SERVER, attributes: { 'http.request.method': 'GET', 'http.route': '/orders/:id' } });
  const ctx = api.trace.setSpan(api.context.active(), server);
  tracer.startSpan('GET', { kind: api.SpanKind.CLIENT }, ctx).end();
  server.end();
}
for (let i = 0; i < 2; i++) tracer.startSpan('GET', { kind: api.SpanKind.CLIENT }).end();

const usage = pt ? telemetry.getTelemetryData().product.internals.commands : undefined;
if (pt) pt.reportUsage();
await sdk.shutdown();
await pt?.shutdown();
const resource = spans[0]?.resource;
const attributes = resource ? Object.fromEntries(Object.entries(resource.attributes).map(([k, v]) => [k, v instanceof Promise ? '<promise>' : v])) : {};
console.log(JSON.stringify({ acks, usage, resource: attributes }));
