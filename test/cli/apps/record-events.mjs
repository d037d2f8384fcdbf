// An app that records the events given as a JSON array on stdin through the real pipeline (the built package), then
// shuts down: what an installed app leaves in its data dir. Configured by TELEMETRY_* variables.
import { productTelemetry, telemetry } from 'otel-product-telemetry';

const pt = productTelemetry();
let input = '';
for await (const chunk of process.stdin) input += chunk;
for (const e of JSON.parse(input)) await telemetry.event(e);
await pt.shutdown();
