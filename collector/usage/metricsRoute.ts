import { diag } from '@opentelemetry/api';
import { RequestError, StoreError } from '../../core/errors.js';
import { contentEncodingOf, readBody } from '../http/body.js';
import { mediaTypeOf, unsupportedType } from '../http/contentType.js';
import { sendJson, sendRaw } from '../http/respond.js';
import { parseJson } from '../ingest/parse.js';
import { otlpLogsRoute } from '../routes/otlpLogs.js';
import { utf8Text } from '../routes/upload.js';
import type { Route } from '../router.js';
import { collectorUsage } from './collectorUsage.js';
import { metricUsageOf } from './metricsUsage.js';
import { ExportMetricsServiceRequest, ExportMetricsServiceResponse } from './metricsProtobuf.js';

const PROTOBUF_TYPES = new Set(['application/x-protobuf', 'application/protobuf']);

/**
 * `POST /v1/metrics`: OTLP/HTTP metrics in JSON or protobuf (what `@opentelemetry/exporter-metrics-otlp-http` and
 * `-proto` send). Monotonic sums (counters, int or double) become the scenario's usage `metrics` (metric name →
 * count, shown in its summary next to the traces bridge's `commands` / `errors`); cumulative points add only what
 * grew since the series' last export (TraceUsageBook.addMetrics). Gauges, histograms, summaries and up-down counters
 * are acknowledged and counted, not kept. Answers per the OTLP spec in the request's encoding:
 * `ExportMetricsServiceResponse`, with `partialSuccess` only when points were rejected; errors as google.rpc.Status
 * (the logs route's).
 */
export const otlpMetricsRoute: Route = {
  method: 'POST',
  path: '/v1/metrics',
  async handle(ctx) {
    const { req, collector } = ctx;
    const type = mediaTypeOf(req);
    const protobuf = PROTOBUF_TYPES.has(type);
    if (!protobuf && type !== 'application/json') throw unsupportedType(type, ['application/x-protobuf', 'application/json']);
    const body = await readBody(req, { maxBytes: collector.config.maxBodyBytes }, contentEncodingOf(req));
    let request: unknown;
    if (protobuf) {
      try {
        request = ExportMetricsServiceRequest.decode(body);
      } catch (err) {
        throw new RequestError('OPT_ERR_PARSE', 400, `invalid OTLP protobuf: ${(err as Error).message}`);
      }
    } else {
      request = parseJson(utf8Text(body));
      if (request instanceof RequestError) throw request;
    }
    const usage = metricUsageOf(request, { defaultScenario: collector.config.scenario, maxPoints: collector.config.maxEventsPerRequest });
    let refused: number;
    try {
      refused = collectorUsage(collector).traces.addMetrics(usage.points, usage.ignored);
    } catch (err) {
      throw new StoreError(`metric usage could not be saved: ${(err as Error).message}`, { cause: err });
    }
    if (usage.ignored > 0) diag.debug(`otel-product-telemetry: /v1/metrics: ${usage.ignored} data point(s) of gauges, histograms, summaries or up-down counters acknowledged, not counted`);
    const rejected = usage.rejected + refused;
    let response = {};
    if (rejected > 0) {
      const reasons = refused > 0 ? [...usage.reasons, 'a scenario or metric name limit or the usage byte budget (TELEMETRY_TRACE_USAGE_MAX_BYTES) reached'] : usage.reasons;
      response = { partialSuccess: { rejectedDataPoints: rejected, errorMessage: `${rejected} data point(s) not counted: ${reasons.join('; ')}` } };
    }
    if (protobuf) sendRaw(ctx.res, 200, 'application/x-protobuf', ExportMetricsServiceResponse.encode(response).finish());
    else sendJson(ctx.res, 200, response);
  },
  // Same error answers as POST /v1/logs: google.rpc.Status in the request's encoding.
  onError: otlpLogsRoute.onError,
};
