import type { Context } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { LogRecordProcessor, SdkLogRecord } from '@opentelemetry/sdk-logs';
import type { ConsentState } from '../../core/consent.js';
import { TELEMETRY_SCOPE } from '../../core/record.js';
import { DecoratingProcessor } from '../DecoratingProcessor.js';

export interface ConsentProcessorOptions {
  /** The processor that receives what consent lets through (policy → batch → exporter). */
  next: LogRecordProcessor;
  consent: ConsentState;
}

/**
 * Opt-in gate, the first link of the chain. The SDK hands every processor the same record, so a gate cannot stop a
 * sibling processor from seeing it; it wraps its downstream instead, and answers `enabled()` so `logger.emit` is
 * skipped cheaply while telemetry is off. Records of other scopes (application logs) are left to other processors.
 */
export class ConsentProcessor extends DecoratingProcessor {
  readonly consent: ConsentState;

  constructor(options: ConsentProcessorOptions) {
    super(options.next);
    this.consent = options.consent;
  }

  onEmit(record: SdkLogRecord, context?: Context): void {
    if (!this.consent.enabled || record.instrumentationScope.name !== TELEMETRY_SCOPE) return;
    this.next.onEmit(record, context);
  }

  enabled(options: { instrumentationScope: InstrumentationScope }): boolean {
    return this.consent.enabled && options.instrumentationScope.name === TELEMETRY_SCOPE;
  }
}
