// The common shape of a host app: tracing set-up first, then static imports of its framework and driver. The
// resource NodeSDK builds sees them (its database/framework attributes settle after the static imports ran).
import { pt, sdk, finished } from './tracing.mjs';
import express from 'express';
import pg from 'pg';
import { trace } from '@opentelemetry/api';
import { telemetry } from '../../../index.ts';

express().get('/', (_req, res) => res.send('ok'));
new pg.Pool({ host: '127.0.0.1', port: 1 }); // never connects: loading the driver is what detection sees

trace.getTracer('static-app').startSpan('GET /orders').end();
const span = finished.at(-1);
await span.resource.waitForAsyncAttributes?.();
const data = telemetry.getTelemetryData();
await sdk.shutdown();
console.log(JSON.stringify({ data, resource: span.resource.attributes, enabled: pt.isEnabled() }));
