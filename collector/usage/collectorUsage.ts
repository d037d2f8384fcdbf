import { ConsentState } from '../../core/consent.js';
import { getActiveRuntime } from '../../core/runtime.js';
import { parseBoolean } from '../../core/settings.js';
import type { CollectorContext } from '../router.js';
import { loadEnvironmentConfig } from '../../receivers/environment/config.js';
import { ProductEnvironment } from '../../receivers/environment/ProductEnvironment.js';
import { resolveUsageReporter } from '../../receivers/usage/activeUsage.js';
import { UsageReporter } from '../../receivers/usage/UsageReporter.js';
import { TraceUsageBook } from './TraceUsageBook.js';

/** The environment-and-usage state of one running collector (one per CollectorContext, made on first use). */
export interface CollectorUsage {
  /** The collector dir's consent (`{dir}/consent.json`): what `/telemetry/configuration` reads and toggles. */
  readonly consent: ConsentState;
  /** Answers the collector's `GET /telemetry/data`. */
  readonly reporter: UsageReporter;
  /** Usage from OTLP traces, per scenario. */
  readonly traces: TraceUsageBook;
}

const states = new WeakMap<CollectorContext, CollectorUsage>();

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return false;
  try {
    return parseBoolean(raw);
  } catch {
    return false; // the collector does not fail on the app's settings; an unreadable value counts as unset
  }
}

/**
 * The collector's own installation: its data dir's consent, installation id and environment. When the collector runs
 * inside an app whose telemetry pipeline uses the same dir, it shares that pipeline's consent and reporter, so a
 * toggle takes effect at once and `/telemetry/data` shows the app's own counters.
 */
export function collectorUsage(collector: CollectorContext, env: NodeJS.ProcessEnv = process.env): CollectorUsage {
  let state = states.get(collector);
  if (state !== undefined) return state;
  const dir = collector.config.dir;
  const runtime = getActiveRuntime();
  const shared = runtime !== undefined && runtime.config.dir === dir;
  const consent = runtime !== undefined && shared
    ? runtime.consent
    : new ConsentState({ dir, enabled: flag(env, 'TELEMETRY_ENABLED'), doNotTrack: flag(env, 'DO_NOT_TRACK'), sdkDisabled: flag(env, 'OTEL_SDK_DISABLED') });
  const active = shared ? resolveUsageReporter() : undefined;
  let reporter: UsageReporter;
  if (active !== undefined && active.dir === dir) {
    reporter = active;
  } else {
    let config;
    try {
      config = loadEnvironmentConfig({}, env);
    } catch {
      config = loadEnvironmentConfig({}, {});
    }
    reporter = new UsageReporter({ dir, consent, environment: new ProductEnvironment({ config, dir, consent, env }) });
  }
  state = { consent, reporter, traces: new TraceUsageBook(dir, {
      maxScenarios: collector.config.maxScenarios,
      maxBytes: collector.config.traceUsageMaxBytes,
      saveIntervalMs: collector.config.traceUsageSaveIntervalMs,
    }),
  };
  states.set(collector, state);
  return state;
}
