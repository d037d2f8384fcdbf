// A host app with no OTel code, run with `--import register.ts`: it counts usage and ends in the way EXIT_MODE says.
// MODE=crash-after-save waits until the counters were saved to disk, then dies by SIGKILL (no exit hooks run).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { telemetry } from '../../../index.js';

const commands = Number(process.env.COMMANDS ?? 3);
for (let i = 0; i < commands; i++) telemetry.countCommand(process.env.COMMAND ?? 'CreateOrder');
telemetry.countMetric('exports', 2);
if (process.env.PRINT_DATA) console.log(JSON.stringify(telemetry.getTelemetryData()));

switch (process.env.EXIT_MODE) {
  case 'exit':
    process.exit(Number(process.env.EXIT_CODE ?? 0));
    break;
  case 'sigterm':
    setInterval(() => {}, 1000);
    process.kill(process.pid, 'SIGTERM');
    break;
  case 'throw':
    throw new Error('uncaught on purpose');
  case 'crash-after-save': {
    const file = join(process.env.TELEMETRY_DIR!, 'usage-counters.json');
    const deadline = Date.now() + 20_000;
    const poll = setInterval(() => {
      if (existsSync(file) || Date.now() > deadline) {
        clearInterval(poll);
        process.kill(process.pid, 'SIGKILL');
      }
    }, 50);
    break;
  }
  default:
    process.exitCode = Number(process.env.EXIT_CODE ?? 0);
}
