import { type Context } from '@opentelemetry/api';
import { diag } from '../../core/diag.js';
import type { AnyValue } from '../../core/logTypes.js';
import type { LogRecordProcessor, SdkLogRecord } from '@opentelemetry/sdk-logs';
import { TELEMETRY_SCOPE } from '../../core/record.js';
import { DEFAULT_REDACT_KEYS } from '../../core/config.js';
import { DecoratingProcessor } from '../DecoratingProcessor.js';
import { createRedactor, type Redactor } from './redact.js';

export interface RedactionProcessorOptions {
  next: LogRecordProcessor;
  /** Key fragments to redact (case-insensitive, any depth). Default: TELEMETRY_REDACT_KEYS' default list. */
  keys?: readonly string[];
  /** Also handle records of other scopes. Default false. */
  allScopes?: boolean;
  /** For tests: the home dir and user name to scrub. Default: the current user's. */
  home?: string;
  user?: string;
}

export { DEFAULT_REDACT_KEYS };

/**
 * Replaces secrets in the body and attributes before anything is serialised, written or sent: values under keys
 * like `password` or `api_key`, and the home directory / user name inside strings such as stack traces.
 * The caller's objects are never mutated (copy on write). A record that cannot be read (a throwing getter or proxy
 * in its body) is dropped and counted (`unreadable`), never thrown into the emitting code.
 */
export class RedactionProcessor extends DecoratingProcessor {
  private readonly redact: Redactor;
  private readonly allScopes: boolean;
  /** Records dropped because their body or attributes could not be read (a throwing getter or proxy). */
  unreadable = 0;

  constructor(options: RedactionProcessorOptions) {
    super(options.next);
    this.redact = createRedactor(options.keys ?? DEFAULT_REDACT_KEYS, options.home, options.user);
    this.allScopes = options.allScopes ?? false;
  }

  onEmit(record: SdkLogRecord, context?: Context): void {
    if (this.allScopes || record.instrumentationScope.name === TELEMETRY_SCOPE) {
      try {
        this.redactRecord(record);
      } catch (err) {
        // A body that cannot be read (a throwing getter or proxy) cannot be checked for secrets: it goes no further,
        // and the error stays here, never thrown into the code that emitted it.
        this.unreadable++;
        diag.error(`dropped event ${JSON.stringify(record.eventName ?? '')}: its body could not be read for redaction: ${(err as Error)?.message ?? String(err)}`);
        return;
      }
    }
    this.next.onEmit(record, context);
  }

  private redactRecord(record: SdkLogRecord): void {
    if (record.body !== undefined) {
      const body = this.redact(record.body);
      if (body !== record.body) record.setBody(body as AnyValue);
    }
    const attrs = record.attributes;
    for (const key in attrs) {
      const value = attrs[key];
      const next = this.redact.entry(key, value);
      if (next !== value) record.setAttribute(key, next as AnyValue);
    }
  }
}
