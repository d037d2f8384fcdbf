import { diag, type Context } from '@opentelemetry/api';
import type { LogRecordProcessor, SdkLogRecord } from '@opentelemetry/sdk-logs';
import { serializeRecord } from '../../core/line.js';
import { CRASH_EVENT, TELEMETRY_SCOPE } from '../../core/record.js';
import { DecoratingProcessor } from '../DecoratingProcessor.js';

export type DropReason = 'crash_outside_production' | 'invalid' | 'too_large';

export interface PolicyProcessorOptions {
  next: LogRecordProcessor;
  /** Crash records are kept only when this is `production` (appcd's `telemetry.environment`). Default `production`. */
  environment?: string;
  /** Scenario for records that name none. */
  defaultScenario?: string;
  /** Largest serialised event in UTF-8 bytes (newline included). Default 256 KiB. */
  maxEventBytes?: number;
  /** Told about every record this processor drops, synchronously inside `emit` (the collector uses it to answer). */
  onDrop?: (record: SdkLogRecord, reason: DropReason, message: string) => void;
  /** Also handle records from other scopes (the collector's OTLP bridge marks none of ours). Default false. */
  allScopes?: boolean;
}

/**
 * The rules every telemetry record must pass before it is batched: crash events only in production, a valid event
 * name and scenario, and a size limit. It serialises the record once (to know its size); the batch processor and the
 * JSONL exporter reuse that line. Dropped records are counted per reason and reported through OTel diag.
 */
export class PolicyProcessor extends DecoratingProcessor {
  readonly counts: Record<DropReason, number> = { crash_outside_production: 0, invalid: 0, too_large: 0 };
  private readonly production: boolean;
  private readonly defaultScenario: string | undefined;
  private readonly maxEventBytes: number;
  private readonly onDrop: PolicyProcessorOptions['onDrop'];
  private readonly allScopes: boolean;

  constructor(options: PolicyProcessorOptions) {
    super(options.next);
    this.production = (options.environment ?? 'production') === 'production';
    this.defaultScenario = options.defaultScenario;
    this.maxEventBytes = options.maxEventBytes ?? 256 * 1024;
    this.onDrop = options.onDrop;
    this.allScopes = options.allScopes ?? false;
  }

  onEmit(record: SdkLogRecord, context?: Context): void {
    if (!this.allScopes && record.instrumentationScope.name !== TELEMETRY_SCOPE) return;
    if (!this.production && record.eventName === CRASH_EVENT) {
      this.drop(record, 'crash_outside_production', 'crash events are recorded only when TELEMETRY_ENVIRONMENT=production', false);
      return;
    }
    let size: number;
    try {
      const line = serializeRecord(record, this.defaultScenario).line;
      // UTF-8 bytes are at most 3 per UTF-16 unit: count exactly only when the line could be over the limit.
      size = line.length * 3 > this.maxEventBytes ? Buffer.byteLength(line, 'utf8') : line.length;
    } catch (err) {
      this.drop(record, 'invalid', (err as Error).message, true);
      return;
    }
    if (size > this.maxEventBytes) {
      this.drop(record, 'too_large', `event of ${size} bytes exceeds the ${this.maxEventBytes}-byte limit (TELEMETRY_MAX_EVENT_BYTES)`, true);
      return;
    }
    this.next.onEmit(record, context);
  }

  private drop(record: SdkLogRecord, reason: DropReason, message: string, loud: boolean): void {
    this.counts[reason]++;
    const text = `otel-product-telemetry: dropped event ${JSON.stringify(record.eventName ?? '')}: ${message}`;
    if (loud) diag.error(text);
    else diag.debug(text);
    if (this.onDrop) {
      try {
        this.onDrop(record, reason, message);
      } catch (err) {
        diag.error(`otel-product-telemetry: onDrop hook failed: ${(err as Error).message}`);
      }
    }
  }
}
