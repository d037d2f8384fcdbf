import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { detailsIfFits, detailsOfLine, serializeFields, serializeRecord, type LineFields, type SerializedLine } from '../../core/line.js';
import { CRASH_EVENT } from '../../core/record.js';

export type DropReason = 'crash_outside_production' | 'invalid' | 'too_large';

/** The policy's rules, resolved once (see `policyRules`). */
export interface PolicyRules {
  /** Crash events are kept only in production. */
  readonly production: boolean;
  /** Scenario for records that name none (records only: a store event always names one). */
  readonly defaultScenario: string | undefined;
  /** Largest serialised event in UTF-8 bytes, newline included. */
  readonly maxEventBytes: number;
  /** The line's `installation_id` for records without an `app.installation.id` attribute (records only). */
  readonly installationId: (() => string | undefined) | undefined;
}

export interface PolicyRuleOptions {
  /** Crash events are kept only when this is `production` (appcd's `telemetry.environment`). Default `production`. */
  environment?: string;
  defaultScenario?: string;
  /** Default 256 KiB. */
  maxEventBytes?: number;
  /**
   * The pipeline's installation id, asked for each record that carries no `app.installation.id` attribute (called
   * lazily: only for records that passed consent, so the id file is created only while telemetry is on).
   */
  installationId?: () => string | undefined;
}

export function policyRules(options: PolicyRuleOptions = {}): PolicyRules {
  return {
    production: (options.environment ?? 'production') === 'production',
    defaultScenario: options.defaultScenario,
    maxEventBytes: options.maxEventBytes ?? 256 * 1024,
    installationId: options.installationId,
  };
}

/** Why the policy refused an event. */
export interface Dropped {
  readonly drop: DropReason;
  readonly message: string;
}

/** The policy's verdict: the event's one serialised line (`{ scenario, line }`), or why it is dropped. */
export type Verdict = SerializedLine | Dropped;

export function isDropped(verdict: Verdict): verdict is Dropped {
  return (verdict as Dropped).drop !== undefined;
}

const CRASH_MESSAGE = 'crash events are recorded only when TELEMETRY_ENVIRONMENT=production';

/**
 * The rules every telemetry event must pass, as a pure function: crash events only in production, a valid event name
 * and scenario (it must serialise), and the size limit. Serialises the event once; the line is what gets written.
 * PolicyProcessor applies it to log records; the collector's stores apply `admitFields` to uploaded events.
 */
export function admitRecord(record: ReadableLogRecord, rules: PolicyRules): Verdict {
  if (!rules.production && record.eventName === CRASH_EVENT) return { drop: 'crash_outside_production', message: CRASH_MESSAGE };
  let line: SerializedLine;
  try {
    line = serializeRecord(record, rules.defaultScenario, rules.installationId);
  } catch (err) {
    return { drop: 'invalid', message: (err as Error).message };
  }
  return sized(line, rules);
}

/** `admitRecord` for an event's line fields given directly (no log record): the same verdict and the same line. */
export function admitFields(fields: LineFields, rules: PolicyRules): Verdict {
  if (!rules.production && fields.event === CRASH_EVENT) return { drop: 'crash_outside_production', message: CRASH_MESSAGE };
  let line: SerializedLine;
  try {
    line = serializeFields(fields);
  } catch (err) {
    return { drop: 'invalid', message: (err as Error).message };
  }
  return sized(line, rules);
}

/**
 * `admitFields` for a store that keeps columns, not lines (ClickHouse): the same verdict, with the line's `details`
 * JSON text ('' = none) in place of the line. The line is written only when a bound cannot prove it fits
 * (core/line.ts detailsIfFits) — an event near the size limit, or one the checks may refuse.
 */
export function admitDetails(fields: LineFields, rules: PolicyRules): string | Dropped {
  if (!rules.production && fields.event === CRASH_EVENT) return { drop: 'crash_outside_production', message: CRASH_MESSAGE };
  const fits = detailsIfFits(fields, rules.maxEventBytes);
  if (fits !== undefined) return fits;
  const verdict = admitFields(fields, rules);
  return isDropped(verdict) ? verdict : detailsOfLine(verdict.line);
}

function sized(line: SerializedLine, rules: PolicyRules): Verdict {
  const text = line.line;
  // UTF-8 bytes are at most 3 per UTF-16 unit: count exactly only when the line could be over the limit.
  const size = text.length * 3 > rules.maxEventBytes ? Buffer.byteLength(text, 'utf8') : text.length;
  if (size > rules.maxEventBytes) {
    return { drop: 'too_large', message: `event of ${size} bytes exceeds the ${rules.maxEventBytes}-byte limit (TELEMETRY_MAX_EVENT_BYTES)` };
  }
  return line;
}
