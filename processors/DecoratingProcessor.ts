import type { Context } from '@opentelemetry/api';
import type { LogRecordProcessor, SdkLogRecord } from '@opentelemetry/sdk-logs';

/**
 * Base of the rule processors: each wraps the processor after it (consent → redaction → policy → batch), because
 * processors registered side by side all see the same record and none could stop it. Flush and shutdown go down the
 * chain; shutdown runs once.
 */
export abstract class DecoratingProcessor implements LogRecordProcessor {
  protected readonly next: LogRecordProcessor;
  private shutdownPromise: Promise<void> | undefined;

  constructor(next: LogRecordProcessor) {
    this.next = next;
  }

  abstract onEmit(record: SdkLogRecord, context?: Context): void;

  forceFlush(): Promise<void> {
    return this.next.forceFlush();
  }

  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.next.shutdown();
    return this.shutdownPromise;
  }
}
