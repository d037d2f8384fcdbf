export { TelemetryInstance, createTelemetryInstance } from './api/TelemetryInstance.js';
export type { TelemetryEventInput, TelemetryCrashInput, TelemetryPayload, TelemetryInstanceOptions } from './api/TelemetryInstance.js';
export { CREATED_ACK, notRecordedAck } from './api/ack.js';
export type { AppcdAck } from './api/ack.js';
export { telemetry } from './api/telemetry.js';
