import { type Attributes, type Context, type SpanContext, type SpanKind } from '@opentelemetry/api';
import { diag } from '../../core/diag.js';
import { observedDatabases, type ObservedDatabases } from '../environment/observedDatabases.js';
import { loadSpanBridgeConfig, type SpanBridgeConfig, type SpanBridgeSettings } from './config.js';
import { isEntrySpan, spanCommandName } from './spanCommands.js';
import { usageState, type UsageState } from './usageState.js';

/**
 * What the bridge reads of a finished span: the fields of the SDK's `ReadableSpan` it uses, declared structurally so
 * the processor fits the 2.x line's `@opentelemetry/sdk-trace-base` and the 3.x line's `@opentelemetry/sdk-trace`
 * alike (neither is a dependency of this package).
 */
export interface ReadableSpan {
  readonly name: string;
  readonly kind: SpanKind;
  readonly attributes: Attributes;
  readonly events: readonly { readonly name: string }[];
  readonly parentSpanContext?: SpanContext;
}

export interface UsageSpanProcessorOptions extends SpanBridgeSettings {
  /**
   * Full control over which spans are commands and under which name: return the command name, or undefined for a
   * span that is not one. Replaces `spans` and `commandAttribute`.
   */
  commandName?: (span: ReadableSpan) => string | undefined;
  /** Default: the process-wide counters (those `telemetry.countCommand()` feeds). */
  counters?: UsageState;
  /** Default: the process-wide observations the environment reads. */
  databases?: ObservedDatabases;
  /** Environment to read `TELEMETRY_SPAN_*` from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

export const EXCEPTION_EVENT = 'exception';

/**
 * The span bridge: an OTel `SpanProcessor` that turns an app's existing tracing into usage data, with no code.
 * Each finished entry span (`isEntrySpan`) counts as a command under the name `spanCommandName` gives it (HTTP route,
 * RPC, messaging destination, else the span name), or under an attribute, or a mapping; exceptions recorded
 * on any span (`exception` events) count into the `errors` metric; `db.system.name` / `db.system` tells the
 * environment which database the app uses. Nothing of the span is kept. Counting happens whether or not telemetry
 * is on (like `countCommand`); only the report is gated by consent.
 *
 * `new NodeSDK({ ...productTelemetry(), spanProcessors: [new BatchSpanProcessor(exporter), new UsageSpanProcessor()] })`
 */
export class UsageSpanProcessor {
  readonly config: SpanBridgeConfig;
  private readonly commandName: ((span: ReadableSpan) => string | undefined) | undefined;
  private readonly counters: UsageState;
  private readonly databases: ObservedDatabases;
  private warned = false;

  /** Throws ConfigError for invalid settings (at construction, never later). */
  constructor(options: UsageSpanProcessorOptions = {}) {
    const { commandName, counters, databases, env, ...settings } = options;
    this.config = loadSpanBridgeConfig(settings, env ?? process.env);
    this.commandName = commandName;
    this.counters = counters ?? usageState();
    this.databases = databases ?? observedDatabases();
  }

  onStart(_span: unknown, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    try {
      const attrs = span.attributes;
      const db = attrs['db.system.name'] ?? attrs['db.system'];
      if (typeof db === 'string') this.databases.record(db);
      const events = span.events;
      if (events.length > 0) {
        let exceptions = 0;
        for (let i = 0; i < events.length; i++) if (events[i]!.name === EXCEPTION_EVENT) exceptions++;
        if (exceptions > 0) this.counters.metrics.add(this.config.errorsMetric, exceptions);
      }
      const name = this.nameOf(span);
      if (name !== undefined) this.counters.commands.add(name);
    } catch (err) {
      if (!this.warned) {
        this.warned = true;
        diag.warn(`span bridge could not count a span: ${(err as Error).message}`);
      }
    }
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  private nameOf(span: ReadableSpan): string | undefined {
    if (this.commandName) return this.commandName(span);
    const mode = this.config.spans;
    if (mode === 'none') return undefined;
    if (mode === 'entry') {
      const parent = span.parentSpanContext;
      if (!isEntrySpan(span.kind, parent !== undefined && parent.isRemote !== true)) return undefined;
    }
    const attrs = span.attributes;
    const attr = this.config.commandAttribute;
    if (attr !== undefined) {
      const v = attrs[attr];
      if (typeof v === 'string' && v.length > 0) return v;
    }
    return spanCommandName(span.name, (key) => attrs[key]);
  }
}
