// The host's tracing set-up, imported first (as OTel's docs recommend): NodeSDK with product telemetry spread in,
// the span bridge, and a span capture.
import { NodeSDK } from '@opentelemetry/sdk-node';
import { nodeSdkResourceDetectors, productTelemetry, UsageSpanProcessor } from '../../../index.ts';

export const pt = productTelemetry();
// Keeps finished spans so the test can read the resource NodeSDK really built (with its async attributes).
export const finished = [];
const capture = { onStart() {}, onEnd: (span) => finished.push(span), forceFlush: async () => {}, shutdown: async () => {} };
export const sdk = new NodeSDK({ ...pt, resourceDetectors: [...nodeSdkResourceDetectors(), ...pt.resourceDetectors], spanProcessors: [capture, new UsageSpanProcessor()] });
sdk.start();
