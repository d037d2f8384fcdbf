import type { CollectorConfig } from '../config.js';
import type { StoreRuleOptions } from './TelemetryStore.js';

/** The admission rules and summaries' shape both stores take, read once from the collector's settings. */
export function storeRuleOptions(config: CollectorConfig): StoreRuleOptions {
  return {
    environment: config.environment,
    failureEvents: config.failureEvents,
    recentFailures: config.recentFailures,
    dedupWindow: config.dedupWindow,
    maxEventBytes: config.maxEventBytes,
    maxScenarios: config.maxScenarios,
  };
}
