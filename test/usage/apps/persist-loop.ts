// Counts one command and saves it to the shared counts file, ROUNDS times, as fast as it can: run several at once
// on one TELEMETRY_DIR to check the file lock loses no update. START_AT lines the processes up.
import { productTelemetry, telemetry } from '../../../index.js';

const pt = productTelemetry({ exitHooks: false });
const rounds = Number(process.env.ROUNDS ?? 100);
const startAt = Number(process.env.START_AT ?? 0);
while (Date.now() < startAt) {
  // spin: a barrier across processes, bounded by START_AT
}
for (let i = 0; i < rounds; i++) {
  telemetry.countCommand('Shared');
  pt.flushSync();
}
