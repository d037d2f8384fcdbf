// A host app with no OpenTelemetry code at all. Telemetry comes from the zero-code entry:
//   TELEMETRY_ENABLED=true node --import otel-product-telemetry/register examples/nodesdk/plain-app.mjs
//   TELEMETRY_ENABLED=true node --require otel-product-telemetry/register examples/nodesdk/plain-app.mjs
// `EXIT_MODE` shows that every way of ending the process still flushes what was recorded.
import { telemetry } from 'otel-product-telemetry';

const count = Number(process.env.EVENTS ?? 3);
for (let i = 0; i < count; i++) telemetry.event({ event: 'plain_event', n: i });

switch (process.env.EXIT_MODE) {
  case 'exit':
    process.exit(Number(process.env.EXIT_CODE ?? 0));
    break;
  case 'sigterm':
  case 'sigint':
    // Keep the loop alive, then receive the signal like a supervised service would.
    setInterval(() => {}, 1000);
    process.kill(process.pid, process.env.EXIT_MODE === 'sigterm' ? 'SIGTERM' : 'SIGINT');
    break;
  case 'throw':
    throw new Error('uncaught on purpose');
  default:
    // natural end: beforeExit
    process.exitCode = Number(process.env.EXIT_CODE ?? 0);
}
