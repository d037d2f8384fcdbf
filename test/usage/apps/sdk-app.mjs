// A host app already instrumented with OpenTelemetry: NodeSDK with product telemetry spread in and the span bridge
// added. It records no telemetry itself; its spans become usage data. Prints getTelemetryData() right before the
// shutdown report, so the test can compare it with the report byte for byte.
import { NodeSDK } from '@opentelemetry/sdk-node';
import { trace } from '@opentelemetry/api';
import { productTelemetry, UsageSpanProcessor } from '../../../index.ts';

const pt = productTelemetry();
const sdk = new NodeSDK({ ...pt, spanProcessors: [new UsageSpanProcessor()] });
sdk.start();

const tracer = trace.getTracer('orders');
for (let i = 0; i < 3; i++) {
  tracer.startActiveSpan('CreateOrder', (span) => {
    tracer.startActiveSpan('INSERT orders', { attributes: { 'db.system.name': 'postgresql' } }, (child) => {
      if (i === 2) child.recordException(new Error('unique violation'));
      child.end();
    });
    span.end();
  });
}
tracer.startActiveSpan('CancelOrder', (span) => span.end());

console.log(JSON.stringify(pt.getTelemetryData()));
await sdk.shutdown();
