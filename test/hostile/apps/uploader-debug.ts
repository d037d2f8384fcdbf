/**
 * A host app with the most verbose diag logger and umask 0: the register entry (pipeline + uploader from env), the
 * runtime consent toggle (writes consent.json), a usage counter (usage-counters.json, installation-id), APP_EVENTS events with ids `{APP_PREFIX}-{i}` (every fifth one with
 * three details keys, which a collector limited to two refuses, so it ends in the quarantine). Then it waits until
 * nothing is pending or APP_WAIT_MS passes, prints the uploader status and ends (register flushes on the way out).
 */
import { diag, DiagConsoleLogger, DiagLogLevel } from '@opentelemetry/api';

process.umask(0);
diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.ALL);
const { pipeline } = await import('../../../register.js');
const { telemetry } = await import('../../../index.js');

telemetry.setEnabled(true);
telemetry.countCommand('SecretsTest'); // usage counters and the installation id are written too
const n = Number(process.env.APP_EVENTS ?? '10');
const prefix = process.env.APP_PREFIX ?? 'secret-app';
for (let i = 0; i < n; i++) {
  const details = i % 5 === 4 ? { a: 1, b: 2, c: 3 } : { a: i };
  await telemetry.event({ event: 'step', id: `${prefix}-${i}`, ...details });
}
pipeline.flushSync();
const until = Date.now() + Number(process.env.APP_WAIT_MS ?? '5000');
for (let i = 0; i < 1000 && Date.now() < until; i++) {
  await pipeline.forceFlush();
  const s = pipeline.uploader?.status();
  if (s && s.pending_bytes === 0 && s.sent_events > 0) break;
  await new Promise((r) => setTimeout(r, 50));
}
process.stdout.write(`status ${JSON.stringify(pipeline.uploader?.status())}\n`);
