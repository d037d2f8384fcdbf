// Prints the installation id this process sees for TELEMETRY_DIR. START_AT (epoch ms) lines several processes up
// so they create the id at the same moment.
import { productTelemetry, telemetry } from '../../../index.js';

const startAt = Number(process.env.START_AT ?? 0);
while (Date.now() < startAt) {
  // spin: a barrier across processes, bounded by START_AT
}
const pt = productTelemetry();
const data = telemetry.getTelemetryData();
const detected = pt.resourceDetectors[0]!.detect().attributes ?? {};
console.log(JSON.stringify({ installation: data.installation, resource: detected['app.installation.id'] }));
