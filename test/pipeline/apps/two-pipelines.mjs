// The register entry's pipeline plus one of the app's own, then a SIGTERM nobody else handles: the process must end
// by that signal (not hang) with both pipelines' events written.
import { productTelemetry, createTelemetryInstance } from 'otel-product-telemetry';

const register = createTelemetryInstance({ scenario: 'from-register' });
await register.event({ event: 'before_second_pipeline' }); // the register entry's pipeline is the active one here
const pt = productTelemetry({ scenario: 'second' });
const mine = createTelemetryInstance({ runtime: pt.runtime });
await mine.event({ event: 'in_second_pipeline' });
setInterval(() => {}, 1000);
process.kill(process.pid, 'SIGTERM');
