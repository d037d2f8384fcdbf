import { RequestError } from '../../core/errors.js';
import type { Route } from '../router.js';
import { ErrorCode } from '../../core/errorCodes.js';

/**
 * `GET /metrics` → the collector's own telemetry in Prometheus text format (requests by route and status, events
 * stored and refused by reason, store latency, open follow streams, de-duplication window size; see
 * metrics/selfMetrics.ts). Behind the token like every route but the health checks; not rate limited (scrapers poll
 * it). 501 when the optional OTel metrics packages are not installed.
 */
export const metricsRoute: Route = {
  method: 'GET',
  path: '/metrics',
  rateLimited: false,
  handle(ctx) {
    const metrics = ctx.collector.metrics;
    if ('unavailable' in metrics) throw new RequestError(ErrorCode.UNAVAILABLE, 501, metrics.unavailable);
    metrics.handle(ctx.req, ctx.res);
  },
};
