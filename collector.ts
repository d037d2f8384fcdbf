// The collector entry, `otel-product-telemetry/collector`: the server, its routes and stores. Kept out of the main
// entry so an app that records events loads no server, protobuf or ClickHouse store code.
export * from './receivers/server/index.js';
export { otlpTracesRoute, telemetryDataRoute, telemetryConfigurationGetRoute, telemetryConfigurationPostRoute, summariesWithUsageRoute, scenarioSummaryWithUsageRoute, usageRoutes } from './receivers/usage/collector/routes.js';
export { otlpMetricsRoute } from './receivers/usage/collector/metricsRoute.js';
export { metricUsageOf } from './receivers/usage/collector/metricsUsage.js';
export type { MetricPoint, MetricUsageResult } from './receivers/usage/collector/metricsUsage.js';
export type { UsageScenarioSummary } from './receivers/usage/collector/routes.js';
export { traceUsageOf } from './receivers/usage/collector/traceUsage.js';
export type { TraceUsageResult, ScenarioTraceUsage } from './receivers/usage/collector/traceUsage.js';
export { TraceUsageBook, TRACE_USAGE_FILE } from './receivers/usage/collector/TraceUsageBook.js';
export type { TraceUsageSummary } from './receivers/usage/collector/TraceUsageBook.js';
