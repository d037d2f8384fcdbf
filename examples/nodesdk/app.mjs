// A host app with an ordinary OpenTelemetry NodeSDK setup, plus opt-in product telemetry.
// Run: TELEMETRY_ENABLED=true TELEMETRY_DIR=/tmp/telemetry node examples/nodesdk/app.mjs
import { NodeSDK } from '@opentelemetry/sdk-node';
import { logs, SeverityNumber } from '@opentelemetry/api-logs';
import { productTelemetry, telemetry, createTelemetryInstance } from 'otel-product-telemetry';

const pt = productTelemetry({ scenario: process.env.TELEMETRY_SCENARIO ?? 'nodesdk-example' });
// spanProcessors: [] keeps this example from starting the default OTLP trace exporter (no network traffic).
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
// An ordinary application log through the same provider: not telemetry, never written to the telemetry files.
logs.getLogger('my-app').emit({ body: 'user clicked a button', severityNumber: SeverityNumber.INFO });

await sdk.shutdown();
console.log(JSON.stringify({ enabled: pt.isEnabled(), dir: pt.config.dir, scenario: pt.config.defaultScenario }));
