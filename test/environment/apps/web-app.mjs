// A small host app that really loads a web framework and a database driver (FRAMEWORK=express|koa, DRIVER=pg|none),
// then prints what product telemetry found: getTelemetryData() and the resource NodeSDK built.
import { pt, sdk, finished } from './tracing.mjs';
import { trace } from '@opentelemetry/api';
import { telemetry } from '../../../index.ts';

const framework = process.env.FRAMEWORK ?? 'express';
if (framework === 'express') {
  const { default: express } = await import('express');
  const app = express();
  app.get('/', (_req, res) => res.send('ok'));
} else if (framework === 'koa') {
  const { default: Koa } = await import('koa');
  new Koa().use((ctx) => {
    ctx.body = 'ok';
  });
}
if (process.env.DRIVER === 'pg') {
  const { default: pg } = await import('pg');
  // A pool that is never used: loading the driver is what detection sees; no connection is attempted.
  new pg.Pool({ host: '127.0.0.1', port: 1 });
}

const tracer = trace.getTracer('web-app');
tracer.startActiveSpan('GET /orders', (span) => {
  if (process.env.SPAN_DB) tracer.startSpan('SELECT orders', { attributes: { 'db.system.name': process.env.SPAN_DB } }).end();
  span.end();
});
const span = finished.at(-1);
await span.resource.waitForAsyncAttributes?.();
const data = telemetry.getTelemetryData();
await sdk.shutdown();
console.log(JSON.stringify({ data, resource: span.resource.attributes, enabled: pt.isEnabled() }));
