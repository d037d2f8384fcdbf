// `npm start` before the collector exists: a tiny product records events through the real pipeline and
// prints where they went. Telemetry is opt-in; this demo opts in for itself with the code option.
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { logs } from '@opentelemetry/api-logs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { productTelemetry, telemetry } from 'otel-product-telemetry';

const pt = productTelemetry({ enabled: true, scenario: 'demo-app' });
const provider = new LoggerProvider({ processors: pt.logRecordProcessors });
logs.setGlobalLoggerProvider(provider);
await telemetry.event({ event: 'app_start', deployment_id: 'demo-1', version: '1.0.0' });
await telemetry.event({ event: 'ready', startup_ms: 12 });
await provider.shutdown();
const file = join(pt.config.dir, 'demo-app.jsonl');
const lines = readFileSync(file, 'utf8').trim().split('\n');
console.log(`recorded 2 events; ${file} now holds ${lines.length} line(s). Last:\n${lines.slice(-2).join('\n')}`);
