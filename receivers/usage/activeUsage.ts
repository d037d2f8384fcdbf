import { diag } from '../../core/diag.js';
import { resolveRuntime } from '../../core/runtime.js';
import { defaultTelemetryDir } from '../../core/paths.js';
import { resolveEnvironment } from '../environment/activeEnvironment.js';
import { loadEnvironmentConfig } from '../environment/config.js';
import { ProductEnvironment } from '../environment/ProductEnvironment.js';
import type { TelemetryData } from './telemetryData.js';
import { UsageReporter } from './UsageReporter.js';
import { readSlot, writeSlot } from '../../core/globalSlots.js';

// One per process, shared by ESM and CommonJS copies: `productTelemetry()` makes its reporter the active one.

export function setActiveUsageReporter(reporter: UsageReporter | undefined): void {
  writeSlot('usageReporter', reporter);
}

let fromEnv: UsageReporter | null | undefined;

/** The active pipeline's reporter, or a transparency-only one built once from env vars (it never emits). */
export function resolveUsageReporter(): UsageReporter | undefined {
  const active = readSlot<UsageReporter>('usageReporter');
  if (active) return active;
  if (fromEnv === undefined) {
    const runtime = resolveRuntime();
    const environment = resolveEnvironment();
    fromEnv = runtime && environment
      ? new UsageReporter({ dir: runtime.config.dir, consent: runtime.consent, environment, redactKeys: runtime.config.redactKeys })
      : null;
  }
  return fromEnv ?? undefined;
}

let degraded: UsageReporter | undefined;

/**
 * What the usage report would carry now (Camunda's `GET /telemetry/data`), also while telemetry is off; sends and
 * writes nothing. Never throws: with an invalid configuration (already reported through diag) it answers from the
 * defaults, as if telemetry were off.
 */
export function getTelemetryData(): TelemetryData {
  const reporter = resolveUsageReporter();
  if (reporter) return reporter.getTelemetryData();
  if (degraded === undefined) {
    diag.warn('telemetry data built from defaults: the configuration is invalid');
    const consent = { enabled: false };
    const dir = resolveRuntime()?.config.dir ?? defaultTelemetryDir();
    const environment = new ProductEnvironment({ config: loadEnvironmentConfig({}, {}), dir, consent });
    degraded = new UsageReporter({ dir, consent, environment });
  }
  return degraded.getTelemetryData();
}
