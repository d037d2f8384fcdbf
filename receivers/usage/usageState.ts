import { UsageCounters } from './UsageCounters.js';
import { sharedSlot } from '../../core/globalSlots.js';

/** The process-wide usage counters that `telemetry.countCommand()` / `countMetric()` and the span bridge feed. */
export interface UsageState {
  readonly commands: UsageCounters;
  readonly metrics: UsageCounters;
}

// Shared by ESM and CommonJS copies of this package (dual-package hazard), like the active runtime.

let cached: UsageState | undefined;

export function usageState(): UsageState {
  if (cached !== undefined) return cached;
  return (cached = sharedSlot<UsageState>('usage', () => ({ commands: new UsageCounters(limitFromEnv()), metrics: new UsageCounters(limitFromEnv()) })));
}

// The global counters exist before any configuration is resolved (counting must work at import time), so the one
// setting they need is read here, leniently: a bad value falls back to the default (the pipeline reports it).
function limitFromEnv(): number {
  const raw = process.env.TELEMETRY_MAX_COUNTER_NAMES?.trim();
  const n = raw ? Number(raw) : NaN;
  return Number.isSafeInteger(n) && n >= 1 && n <= 10_000 ? n : 500;
}
