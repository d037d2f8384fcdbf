/** appcd's acknowledgement of a recorded event, byte for byte. */
export interface AppcdAck {
  readonly status: number;
  readonly message: string;
  readonly fin: true;
  readonly statusCode: string;
  /** Present (false) only when the event was not recorded. */
  readonly recorded?: false;
  /** Why it was not recorded. */
  readonly reason?: string;
}

export const CREATED_ACK: AppcdAck = Object.freeze({ status: 201, message: 'Created', fin: true, statusCode: '201' });

/**
 * Not an error, but nothing was recorded (telemetry off, or a crash outside production): a 200 that says so, so a
 * caller can tell it apart from appcd's 201 "Created".
 */
export function notRecordedAck(reason: string): AppcdAck {
  return Object.freeze({ status: 200, message: 'Not Recorded', fin: true, statusCode: '200', recorded: false, reason });
}

export const DISABLED_ACK = notRecordedAck('telemetry is disabled (opt-in: set TELEMETRY_ENABLED=true or call setEnabled(true))');
export const CRASH_OUTSIDE_PRODUCTION_ACK = notRecordedAck('crash events are recorded only when TELEMETRY_ENVIRONMENT=production');
export const NO_PIPELINE_ACK = notRecordedAck(
  'no otel-product-telemetry pipeline in this process: call productTelemetry() or start node with --import otel-product-telemetry/register',
);
export const NOT_TAKEN_ACK = notRecordedAck(
  'the LoggerProvider given to this telemetry instance does not carry the pipeline\'s processors (pt.logRecordProcessors), or the pipeline was shut down',
);
