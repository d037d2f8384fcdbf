// A host app with an ordinary OpenTelemetry NodeSDK setup, plus opt-in product telemetry.
// Run: TELEMETRY_ENABLED=true TELEMETRY_DIR=/tmp/telemetry node examples/nodesdk/app.mjs
// The same file runs on both OTel JS lines (2.x with Node >= 20.6, 3.x with Node >= 22.15).
import { NodeSDK } from '@opentelemetry/sdk-node';
import { productTelemetry, telemetry, createTelemetryInstance } from 'otel-product-telemetry';

const pt = productTelemetry({ scenario: process.env.TELEMETRY_SCENARIO ?? 'nodesdk-example' });
// The spread adds nothing that replaces NodeSDK's env defaults (its log exporters, resource detectors and span
// processors stay the host's). spanProcessors: [] only keeps this example from starting the default OTLP trace
// exporter (no network traffic); a real app leaves it out or lists its own.
const sdk = new NodeSDK({ ...pt, spanProcessors: [] });
sdk.start();

await telemetry.event({ event: 'app_start', deployment_id: 'deploy-123', version: '1.0.0', platform: process.platform });
await telemetry.event({ event: 'ready', startup_ms: 42 });
const strapiStyle = createTelemetryInstance('my-app-guid');
await strapiStyle.send('didCreateEntry', { eventProperties: { model: 'article' }, groupProperties: { locales: 2 } });
try {
  JSON.parse('{{{{');
} catch (err) {
  await telemetry.crash(err);
}

await sdk.shutdown();
await pt.shutdown(); // flushes telemetry (the process end does too: exit hooks are on by default)
console.log(JSON.stringify({ enabled: pt.isEnabled(), dir: pt.config.dir, scenario: pt.config.defaultScenario }));
