import { TelemetryInstance } from './TelemetryInstance.js';

/** The ready instance: emits through the global LoggerProvider and the active pipeline's consent and rules. */
export const telemetry: TelemetryInstance = new TelemetryInstance();
