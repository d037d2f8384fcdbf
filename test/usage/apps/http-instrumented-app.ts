// A host app traced by the stock HTTP (and, with EXPRESS=1, Express) instrumentations: NodeTracerProvider with the
// span bridge in-process and a stock OTLP/HTTP exporter to the collector at COLLECTOR_URL. It serves /users/:id,
// which calls BACKEND_URL (a server in another process) once per request, then sends itself REQUESTS requests with
// `http.get` (client spans without a parent). Prints the in-process command counts and a summary of every span.
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type * as Http from 'node:http';
import { SpanKind } from '@opentelemetry/api';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { ObservedDatabases } from '../../../receivers/environment/observedDatabases.js';
import { UsageCounters } from '../../../receivers/usage/UsageCounters.js';
import { UsageSpanProcessor } from '../../../receivers/usage/UsageSpanProcessor.js';

const express = process.env.EXPRESS === '1';
const backend = process.env.BACKEND_URL!;
const requests = Number(process.env.REQUESTS ?? 4);

/** Keeps a summary of each finished span (what was counted from), for the test's diagnostics. */
const seen: { name: string; kind: string; parent: string; route?: unknown }[] = [];
const recorder: SpanExporter = {
  export(spans: ReadableSpan[], done: (r: ExportResult) => void) {
    for (const s of spans) {
      const p = s.parentSpanContext;
      seen.push({ name: s.name, kind: SpanKind[s.kind], parent: p === undefined ? 'none' : p.isRemote ? 'remote' : 'local', route: s.attributes['http.route'] });
    }
    done({ code: ExportResultCode.SUCCESS });
  },
  shutdown: () => Promise.resolve(),
};

const counters = { commands: new UsageCounters(), metrics: new UsageCounters() };
const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'service.name': process.env.SERVICE ?? 'http-app' }),
  spanProcessors: [
    new UsageSpanProcessor({ counters, databases: new ObservedDatabases(), env: {} }),
    new BatchSpanProcessor(new OTLPTraceExporter({ url: `${process.env.COLLECTOR_URL}/v1/traces` })),
    new BatchSpanProcessor(recorder),
  ],
});
provider.register();
// Instrumentations enable themselves when constructed (hooking require) and trace through the global provider.
const instrumentations = [new HttpInstrumentation(), ...(express ? [new ExpressInstrumentation()] : [])];
for (const i of instrumentations) i.setTracerProvider(provider);

// Instrumentations patch modules as they are required: load them only now, through require.
const require = createRequire(import.meta.url);
const http = require('http') as typeof Http;

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: ${res.statusCode} ${body}`))));
      })
      .on('error', reject);
  });
}

async function handle(id: string): Promise<string> {
  return `user ${id}: ${await get(`${backend}/profile/${id}`)}`;
}

let server: Http.Server;
if (express) {
  const app = (require('express') as typeof import('express'))();
  app.get('/users/:id', async (req, res) => {
    res.send(await handle(req.params.id));
  });
  server = http.createServer(app);
} else {
  server = http.createServer((req, res) => {
    const id = /^\/users\/(\w+)$/.exec(req.url ?? '')?.[1];
    if (id === undefined) {
      res.writeHead(404).end();
      return;
    }
    handle(id).then(
      (body) => res.writeHead(200, { 'content-type': 'text/plain' }).end(body),
      (err: Error) => res.writeHead(500).end(err.message),
    );
  });
}
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const front = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

for (let i = 1; i <= requests; i++) await get(`${front}/users/${i}`);
await new Promise<void>((resolve) => server.close(() => resolve()));
await provider.forceFlush();
await provider.shutdown();

console.log(JSON.stringify({ commands: Object.fromEntries(counters.commands.snapshot()), spans: seen }));
