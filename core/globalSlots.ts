/**
 * Every process-global slot of this package, in one place: values that all copies of the package loaded in one
 * process must share (the ES module and CommonJS builds, `register` beside an app's own import, two installed
 * versions), kept on `globalThis` under `Symbol.for` keys. The key strings never change: an older copy in the same
 * process looks for the same ones. test/globalSlots.test.ts checks that no other module calls `Symbol.for`.
 */
const KEYS = {
  /** The active `ConsentState` (core/consent.ts). */
  consent: 'otel-product-telemetry.consent',
  /** Messages already reported once (core/report.ts). */
  reported: 'otel-product-telemetry.reported',
  /** The active pipeline's runtime (core/runtime.ts). */
  runtime: 'otel-product-telemetry.runtime',
  /** How many records a pipeline head took (core/runtime.ts): the recording API checks it after each emit. */
  received: 'otel-product-telemetry.received',
  /** Store dirs whose upload lock this process holds (exporters/upload/lock.ts). */
  uploadLocks: 'otel-product-telemetry.upload-locks',
  /** The active `ProductEnvironment` (receivers/environment/activeEnvironment.ts). */
  environment: 'otel-product-telemetry.environment',
  /** Databases seen by the span bridge (receivers/environment/observedDatabases.ts). */
  observedDatabases: 'otel-product-telemetry.observed-databases',
  /** The active `UsageReporter` (receivers/usage/activeUsage.ts). */
  usageReporter: 'otel-product-telemetry.usage-reporter',
  /** The usage counters (receivers/usage/usageState.ts). */
  usage: 'otel-product-telemetry.usage',
  /** The one set of exit listeners for every pipeline of the process (pipeline/exitHooks.ts). */
  exitHooks: 'otel-product-telemetry.exitHooks',
  /** Not ours, read only: the OpenTelemetry API's own global (its diag logger), core/report.ts. */
  otelApi: 'opentelemetry.js.api.1',
} as const;

export type GlobalSlot = keyof typeof KEYS;

const slots = globalThis as unknown as Record<symbol, unknown>;

/** The value in a slot, if any. */
export function readSlot<T>(slot: GlobalSlot): T | undefined {
  return slots[Symbol.for(KEYS[slot])] as T | undefined;
}

/** Set (or clear, with undefined) a slot. */
export function writeSlot<T>(slot: GlobalSlot, value: T | undefined): void {
  slots[Symbol.for(KEYS[slot])] = value;
}

/** The value in a slot, created by `create` if the slot is empty (the first copy of the package to ask creates it). */
export function sharedSlot<T>(slot: GlobalSlot, create: () => T): T {
  const key = Symbol.for(KEYS[slot]);
  return (slots[key] ??= create()) as T;
}
