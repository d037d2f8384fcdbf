import { diag } from '../../core/diag.js';
import { StoreError } from '../../core/errors.js';
import { otlpRoute } from '../otlp/route.js';
import type { Route } from '../router.js';
import { collectorUsage } from './collectorUsage.js';
import { metricUsageOf } from './metricsUsage.js';
import { ExportMetricsServiceRequest, ExportMetricsServiceResponse } from './metricsProtobuf.js';

/**
 * `POST /v1/metrics`: OTLP/HTTP metrics in JSON or protobuf (what `@opentelemetry/exporter-metrics-otlp-http` and
 * `-proto` send). Monotonic sums (counters, int or double) become the scenario's usage `metrics` (metric name →
 * count, shown in its summary next to the traces bridge's `commands` / `errors`); cumulative points add only what
 * grew since the series' last export (TraceUsageBook.addMetrics). Gauges, histograms, summaries and up-down counters
 * are acknowledged and counted, not kept. Answers per the OTLP spec in the request's encoding:
 * `ExportMetricsServiceResponse`, with `partialSuccess` only when points were rejected; errors as google.rpc.Status
 * (the logs route's).
 */
export const otlpMetricsRoute: Route = otlpRoute('/v1/metrics', { request: ExportMetricsServiceRequest, response: ExportMetricsServiceResponse }, (ctx, request) => {
  const { collector } = ctx;
  const usage = metricUsageOf(request, { defaultScenario: collector.config.scenario, maxPoints: collector.config.maxEventsPerRequest });
  let refused: number;
  try {
    refused = collectorUsage(collector).traces.addMetrics(usage.points, usage.ignored);
  } catch (err) {
    throw new StoreError(`metric usage could not be saved: ${(err as Error).message}`, { cause: err });
  }
  if (usage.ignored > 0) diag.debug(`/v1/metrics: ${usage.ignored} data point(s) of gauges, histograms, summaries or up-down counters acknowledged, not counted`);
  const rejected = usage.rejected + refused;
  let response = {};
  if (rejected > 0) {
    const reasons = refused > 0 ? [...usage.reasons, 'a scenario or metric name limit or the usage byte budget (TELEMETRY_TRACE_USAGE_MAX_BYTES) reached'] : usage.reasons;
    response = { partialSuccess: { rejectedDataPoints: rejected, errorMessage: `${rejected} data point(s) not counted: ${reasons.join('; ')}` } };
  }
  return response;
});
