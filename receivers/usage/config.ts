import { enumSetting, integerSetting, resolveSettings, stringSetting, type SettingsMode, type SettingsOptions, type SettingsValues } from '../../core/settings.js';

const DAY_MS = 24 * 60 * 60 * 1000;
// setInterval's largest delay (about 24.8 days).
const MAX_TIMER_MS = 2_147_483_647;

/** Settings of the usage half: the periodic report and the counters. */
export const usageSettings = {
  reportIntervalMs: integerSetting('TELEMETRY_REPORT_INTERVAL_MS', DAY_MS, 1000, MAX_TIMER_MS, 'How often the `usage_report` event is emitted (one more is emitted at shutdown).'),
  counterFlushIntervalMs: integerSetting('TELEMETRY_COUNTER_FLUSH_INTERVAL_MS', 60_000, 1000, MAX_TIMER_MS, 'How often unreported counter deltas are saved to `{TELEMETRY_DIR}/usage-counters.json` (also at report time and exit), so a crash loses at most this much.'),
  maxCounterNames: integerSetting('TELEMETRY_MAX_COUNTER_NAMES', 500, 1, 10_000, 'Distinct command names and metric names kept (each); further names are refused and counted.'),
} as const;

/** Settings of the span bridge (`UsageSpanProcessor`). */
export const spanBridgeSettings = {
  spans: enumSetting('TELEMETRY_SPAN_COMMANDS', ['entry', 'all', 'none'] as const, 'entry', 'Which finished spans count as commands: `entry` (server and consumer spans, and local roots that are not client or producer spans: the operations the app handled), `all`, or `none`.'),
  commandAttribute: stringSetting('TELEMETRY_SPAN_COMMAND_ATTRIBUTE', undefined, 'Count a span under the value of this attribute instead of its default name (route, RPC, messaging, else span name); spans without it keep the default name.', /^[A-Za-z0-9_.:-]{1,128}$/, 'attribute name'),
  errorsMetric: stringSetting('TELEMETRY_SPAN_ERRORS_METRIC', 'errors', 'Metric that counts exceptions recorded on spans (span events named `exception`).', /^.{1,128}$/su, '1-128 characters'),
} as const;

export type UsageOptions = SettingsOptions<typeof usageSettings>;
export type UsageConfig = SettingsValues<typeof usageSettings>;
export type SpanBridgeSettings = SettingsOptions<typeof spanBridgeSettings>;
export type SpanBridgeConfig = SettingsValues<typeof spanBridgeSettings> & { readonly errorsMetric: string };

export function loadUsageConfig(options: UsageOptions = {}, env: NodeJS.ProcessEnv = process.env, mode: SettingsMode = 'operator'): UsageConfig {
  return resolveSettings(usageSettings, options as Record<string, unknown>, env, mode);
}

export function loadSpanBridgeConfig(options: SpanBridgeSettings = {}, env: NodeJS.ProcessEnv = process.env): SpanBridgeConfig {
  // The span bridge only ever runs inside a host app: a bad env value is reported, never thrown.
  const v = resolveSettings(spanBridgeSettings, options as Record<string, unknown>, env, 'host');
  return { ...v, errorsMetric: v.errorsMetric ?? 'errors' };
}
