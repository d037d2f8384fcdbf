// Host app whose telemetry dir is on a full disk: its own work must go on and it must exit normally.
import { telemetry } from 'otel-product-telemetry';
let work = 0;
for (let i = 0; i < 5000; i++) {
  telemetry.event({ event: 'on_full_disk', i, pad: 'x'.repeat(200) });
  work++;
  if (i % 500 === 0) await new Promise((r) => setImmediate(r));
}
telemetry.crash(new Error('crash while the disk is full'));
process.on('exit', (code) => process.stdout.write(JSON.stringify({ work, code }) + '\n'));
