import { type Context } from '@opentelemetry/api';
import { diag } from '../../core/diag.js';
import type { LogRecordProcessor, SdkLogRecord } from '@opentelemetry/sdk-logs';
import { TELEMETRY_SCOPE } from '../../core/record.js';
import { DecoratingProcessor } from '../DecoratingProcessor.js';
import { admitRecord, isDropped, policyRules, type DropReason, type PolicyRules } from './admit.js';

export type { DropReason } from './admit.js';

export interface PolicyProcessorOptions {
  next: LogRecordProcessor;
  /** Crash records are kept only when this is `production` (appcd's `telemetry.environment`). Default `production`. */
  environment?: string;
  /** Scenario for records that name none. */
  defaultScenario?: string;
  /** Largest serialised event in UTF-8 bytes (newline included). Default 256 KiB. */
  maxEventBytes?: number;
  /** The line's `installation_id` for records without an `app.installation.id` attribute (the pipeline's id). */
  installationId?: () => string | undefined;
  /** Told about every record this processor drops, synchronously inside `emit` (the collector uses it to answer). */
  onDrop?: (record: SdkLogRecord, reason: DropReason, message: string) => void;
  /** Also handle records from other scopes (the collector's OTLP bridge marks none of ours). Default false. */
  allScopes?: boolean;
}

/**
 * The rules every telemetry record must pass before it is batched: crash events only in production, a valid event
 * name and scenario, and a size limit. It serialises the record once (to know its size); the batch processor and the
 * JSONL exporter reuse that line. The verdict is `admitRecord` (admit.ts), which the collector's stores apply to
 * uploaded events too. Dropped records are counted per reason and reported through OTel diag.
 */
export class PolicyProcessor extends DecoratingProcessor {
  readonly counts: Record<DropReason, number> = { crash_outside_production: 0, invalid: 0, too_large: 0 };
  private readonly rules: PolicyRules;
  private readonly onDrop: PolicyProcessorOptions['onDrop'];
  private readonly allScopes: boolean;

  constructor(options: PolicyProcessorOptions) {
    super(options.next);
    this.rules = policyRules(options);
    this.onDrop = options.onDrop;
    this.allScopes = options.allScopes ?? false;
  }

  onEmit(record: SdkLogRecord, context?: Context): void {
    if (!this.allScopes && record.instrumentationScope.name !== TELEMETRY_SCOPE) return;
    const verdict = admitRecord(record, this.rules);
    if (isDropped(verdict)) {
      // Crash events outside production are expected (quiet); the others are a caller's mistake (loud).
      this.drop(record, verdict.drop, verdict.message, verdict.drop !== 'crash_outside_production');
      return;
    }
    this.next.onEmit(record, context);
  }

  private drop(record: SdkLogRecord, reason: DropReason, message: string, loud: boolean): void {
    this.counts[reason]++;
    const text = `dropped event ${JSON.stringify(record.eventName ?? '')}: ${message}`;
    if (loud) diag.error(text);
    else diag.debug(text);
    if (this.onDrop) {
      try {
        this.onDrop(record, reason, message);
      } catch (err) {
        diag.error(`onDrop hook failed: ${(err as Error).message}`);
      }
    }
  }
}
