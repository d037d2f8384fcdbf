/**
 * A host app for bench/soak.mjs: the package's zero-code `register` entry (pipeline + uploader from the environment,
 * TELEMETRY_UPLOAD_URL pointing at the soak collector), run through tsx from the sources.
 *
 *   SOAK_RATE=n          events a second (each with details {gen, seq}); the app runs until it is killed
 *   SOAK_CRASH_AT_MS=n   throw an uncaught error after n ms (crash capture records it; the process dies with code 1)
 *   SOAK_DRAIN=1         emit nothing: upload until nothing is pending (bounded by SOAK_DRAIN_MS), print
 *                        `drained {status}` and end normally (register's exit hooks run the final upload)
 */
import { pipeline } from '../register.js';
import { telemetry } from '../index.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const gen = process.env.SOAK_GEN ?? '0';

if (process.env.SOAK_DRAIN === '1') {
  const until = Date.now() + Number(process.env.SOAK_DRAIN_MS ?? '60000');
  let status = pipeline.uploader?.status();
  for (let i = 0; i < 100_000 && Date.now() < until; i++) {
    await pipeline.forceFlush();
    status = pipeline.uploader?.status();
    if (status !== undefined && status.pending_bytes === 0 && status.consecutive_failures === 0 && status.last_error === null) break;
    await sleep(100);
  }
  process.stdout.write(`drained ${JSON.stringify(status)}\n`);
} else {
  const rate = Math.max(1, Number(process.env.SOAK_RATE ?? '20'));
  let seq = 0;
  // Not unref'd: this timer is what keeps the app running until the soak kills or stops it.
  setInterval(() => {
    void telemetry.event({ event: 'soak_step', gen, seq: seq++ });
    if (seq % 50 === 0) telemetry.countCommand('SoakBatch');
  }, 1000 / rate);
  const crashAt = Number(process.env.SOAK_CRASH_AT_MS ?? '0');
  if (crashAt > 0) {
    setTimeout(() => {
      throw new Error(`soak: planned crash of generation ${gen}`);
    }, crashAt);
  }
  process.stdout.write(`started gen ${gen}\n`);
}
