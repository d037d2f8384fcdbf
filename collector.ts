// The collector entry, `otel-product-telemetry/collector`: the server, its routes and stores. Kept out of the main
// entry so an app that records events loads no server, protobuf or ClickHouse store code.
export * from './collector/index.js';
export { otlpTracesRoute, telemetryDataRoute, telemetryConfigurationGetRoute, telemetryConfigurationPostRoute, summariesWithUsageRoute, scenarioSummaryWithUsageRoute, usageRoutes } from './collector/usage/routes.js';
export { otlpMetricsRoute } from './collector/usage/metricsRoute.js';
export { metricUsageOf } from './collector/usage/metricsUsage.js';
export type { MetricPoint, MetricUsageResult } from './collector/usage/metricsUsage.js';
export type { UsageScenarioSummary } from './collector/usage/routes.js';
export { traceUsageOf } from './collector/usage/traceUsage.js';
export type { TraceUsageResult, ScenarioTraceUsage } from './collector/usage/traceUsage.js';
export { TraceUsageBook, TRACE_USAGE_FILE } from './collector/usage/TraceUsageBook.js';
export type { TraceUsageSummary } from './collector/usage/TraceUsageBook.js';
