// No OpenTelemetry code at all: telemetry comes from `--import`/`--require otel-product-telemetry/register`.
import { telemetry } from 'otel-product-telemetry';

const acks = [];
for (let i = 0; i < 3; i++) acks.push(await telemetry.event({ event: 'plain_event', n: i }));
if (process.env.PRINT_ACKS) console.log(JSON.stringify(acks));
if (process.env.THROW) setTimeout(() => { throw new Error('uncaught on purpose'); }, 0);
else process.exitCode = Number(process.env.EXIT_CODE ?? 0);
