import type { Context } from '@opentelemetry/api';
import { SeverityNumber, type AnyValueMap } from '../../core/logTypes.js';
import { LoggerProvider, type LogRecordProcessor, type SdkLogRecord } from '@opentelemetry/sdk-logs';
import type { PipelineConfig } from '../../core/config.js';
import { TELEMETRY_SCOPE } from '../../core/record.js';
import { received } from '../../core/runtime.js';
import { VERSION } from '../../core/version.js';
import { DecoratingProcessor } from '../../processors/DecoratingProcessor.js';
import { setActiveEnvironment } from '../environment/activeEnvironment.js';
import { loadEnvironmentConfig, type EnvironmentOptions } from '../environment/config.js';
import { ProductEnvironment } from '../environment/ProductEnvironment.js';
import { ProductEnvironmentDetector } from '../environment/ProductEnvironmentDetector.js';
import { setActiveUsageReporter } from './activeUsage.js';
import { loadUsageConfig, type UsageOptions } from './config.js';
import { USAGE_REPORT_EVENT } from './telemetryData.js';
import { UsageReporter } from './UsageReporter.js';
import { usageState, type UsageState } from './usageState.js';

export interface PipelineUsageOptions {
  config: PipelineConfig;
  consent: { readonly enabled: boolean };
  /** The first processor of the telemetry chain (consent gate): reports enter the chain there. */
  head: LogRecordProcessor;
  product?: EnvironmentOptions;
  usage?: UsageOptions;
  env?: NodeJS.ProcessEnv;
  /** Default: the process-wide counters. */
  counters?: UsageState;
}

/**
 * The environment and usage half of a pipeline, wired for `productTelemetry()`: the environment, its resource
 * detector, and the usage reporter, whose reports enter the same consent → redaction → policy → batch → exporters
 * chain as every other event (through a private LoggerProvider, so the host's own log processors never see them).
 * `processor` replaces the chain head: its shutdown emits the final report before the chain shuts down, which is
 * how `NodeSDK.shutdown()` and `LoggerProvider.shutdown()` get the report "once at shutdown".
 */
export class PipelineUsage {
  readonly environment: ProductEnvironment;
  readonly reporter: UsageReporter;
  readonly detector: ProductEnvironmentDetector;
  readonly processor: LogRecordProcessor;

  /** Throws ConfigError for invalid settings (start-up only). */
  constructor(options: PipelineUsageOptions) {
    const env = options.env ?? process.env;
    const usage = loadUsageConfig(options.usage, env, 'host');
    const counters = options.counters ?? usageState();
    counters.commands.maxNames = counters.metrics.maxNames = usage.maxCounterNames;
    this.environment = new ProductEnvironment({ config: loadEnvironmentConfig(options.product, env, 'host'), dir: options.config.dir, consent: options.consent, env });
    this.detector = new ProductEnvironmentDetector({ environment: this.environment });
    const head = options.head;
    const logger = new LoggerProvider({ processors: [new ForwardingProcessor(head)] }).getLogger(TELEMETRY_SCOPE, VERSION);
    this.reporter = new UsageReporter({
      dir: options.config.dir,
      consent: options.consent,
      environment: this.environment,
      counters,
      reportIntervalMs: usage.reportIntervalMs,
      counterFlushIntervalMs: usage.counterFlushIntervalMs,
      redactKeys: options.config.redactKeys,
      emit: (data) => logger.emit({ eventName: USAGE_REPORT_EVENT, severityNumber: SeverityNumber.INFO, body: data as unknown as AnyValueMap }),
    });
    this.processor = new FinalReportProcessor(head, this.reporter);
  }

  /** Make this the active environment and reporter (for `telemetry.getTelemetryData()` and the detector) and start the timers. */
  activate(): void {
    setActiveEnvironment(this.environment);
    setActiveUsageReporter(this.reporter);
    this.reporter.start();
  }
}

/** Hands report records to the chain head; it owns nothing, so it flushes and shuts down nothing. */
class ForwardingProcessor implements LogRecordProcessor {
  constructor(private readonly head: LogRecordProcessor) {}
  onEmit(record: SdkLogRecord, context?: Context): void {
    this.head.onEmit(record, context);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** The chain head as the provider sees it: emits the final usage report, then shuts the chain down (once). */
class FinalReportProcessor extends DecoratingProcessor {
  constructor(
    next: LogRecordProcessor,
    private readonly reporter: UsageReporter,
  ) {
    super(next);
  }
  #shutDown = false;
  onEmit(record: SdkLogRecord, context?: Context): void {
    // After shutdown nothing is taken: the recording API then answers "not recorded" instead of 201.
    if (this.#shutDown) return;
    if (record.instrumentationScope.name === TELEMETRY_SCOPE) received.count++;
    this.next.onEmit(record, context);
  }
  // Keep the consent gate's cheap "is anything recorded?" answer visible to the Logger.
  enabled(options: Parameters<NonNullable<LogRecordProcessor['enabled']>>[0]): boolean {
    return this.next.enabled ? this.next.enabled(options) : true;
  }
  override shutdown(): Promise<void> {
    if (!this.#shutDown) {
      this.reporter.final();
      this.#shutDown = true;
    }
    return super.shutdown();
  }
}
