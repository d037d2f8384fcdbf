import type { Route } from '../router.js';
import { appcdCrashRoute, appcdEventRoute } from './appcd.js';
import { scenarioEventsRoute } from './events.js';
import { healthRoute, readyRoute } from './health.js';
import { scenarioInsightsRoute } from './insights.js';
import { metricsRoute } from './metrics.js';
import { otlpLogsRoute } from './otlpLogs.js';
import { uploadRoute } from './upload.js';
// Environment and usage data (collector/usage/): Camunda's /telemetry routes, OTLP traces → usage, and the
// per-scenario summaries (`GET /api/v1/telemetry[/{scenario}]`), which add the usage from traces (`commands`/`errors`)
// and from OTLP metrics (`metrics`, POST /v1/metrics).
import { otlpMetricsRoute } from '../usage/metricsRoute.js';
import { dashboardRoutes } from '../dashboard/routes.js';
import { otlpTracesRoute, scenarioSummaryWithUsageRoute, summariesWithUsageRoute, telemetryConfigurationGetRoute, telemetryConfigurationPostRoute, telemetryDataRoute } from '../usage/routes.js';

/**
 * The collector's routes. To add one (e.g. `POST /v1/traces`, `GET /telemetry/data`,
 * `GET|POST /telemetry/configuration`): write a `Route` in its own file in this folder and list it here; the server
 * applies matching, rate limit and token before calling it (see router.ts). Embedders can also pass extra routes to
 * `startCollector({ routes })`.
 */
/** An ingest route browsers may call from the origins in TELEMETRY_CORS_ORIGINS. */
const cors = (route: Route): Route => ({ ...route, cors: true });
/** A state change that is not ingest: admin token, JSON only, same-origin only (see `Route.admin`). */
const admin = (route: Route): Route => ({ ...route, admin: true });

export const builtinRoutes: readonly Route[] = [
  healthRoute,
  readyRoute,
  metricsRoute,
  cors(uploadRoute),
  summariesWithUsageRoute,
  scenarioSummaryWithUsageRoute,
  scenarioEventsRoute,
  scenarioInsightsRoute,
  cors(appcdEventRoute),
  cors(appcdCrashRoute),
  cors(otlpLogsRoute),
  cors(otlpTracesRoute),
  cors(otlpMetricsRoute),
  telemetryDataRoute,
  telemetryConfigurationGetRoute,
  admin(telemetryConfigurationPostRoute),
  // The dashboard at `/` (collector/dashboard/): the page and its hashed files, built into dist/dashboard.
  ...dashboardRoutes(),
];

export { healthRoute, readyRoute, uploadRoute, summariesWithUsageRoute, scenarioSummaryWithUsageRoute, scenarioEventsRoute, scenarioInsightsRoute, appcdEventRoute, appcdCrashRoute, otlpLogsRoute };
