import { diag } from '../../core/diag.js';
import { RequestError, StoreError, ValidationError } from '../../core/errors.js';
import { isSafeScenario } from '../../core/scenario.js';
import { contentEncodingOf, readBody, utf8Text } from '../http/body.js';
import { mediaTypeOf, unsupportedType } from '../http/contentType.js';
import { sendJson } from '../http/respond.js';
import { parseJson } from '../ingest/parse.js';
import { otlpRoute } from '../otlp/route.js';
import type { Route, RouteContext } from '../router.js';
import type { ScenarioSummary } from '../stores/TelemetryStore.js';
import { collectorUsage } from './collectorUsage.js';
import { traceUsageOf } from './traceUsage.js';
import { ExportTraceServiceRequest, ExportTraceServiceResponse } from './tracesProtobuf.js';
import { otlpMetricsRoute } from './metricsRoute.js';
import { ErrorCode } from '../../core/errorCodes.js';

const CONFIGURATION_MAX_BYTES = 4096;

/** `GET /telemetry/data`: the collector installation's telemetry data (Camunda's route); sends nothing. */
export const telemetryDataRoute: Route = {
  method: 'GET',
  path: '/telemetry/data',
  handle(ctx) {
    sendJson(ctx.res, 200, collectorUsage(ctx.collector).reporter.getTelemetryData());
  },
};

/** `GET /telemetry/configuration` → `{"enableTelemetry":bool}` (Camunda's route): the effective consent of the dir. */
export const telemetryConfigurationGetRoute: Route = {
  method: 'GET',
  path: '/telemetry/configuration',
  handle(ctx) {
    const { consent } = collectorUsage(ctx.collector);
    consent.reload(); // the CLI or an app may have toggled it since
    sendJson(ctx.res, 200, { enableTelemetry: consent.enabled });
  },
};

/**
 * `POST /telemetry/configuration` with `{"enableTelemetry":bool}` (Camunda's route): toggles telemetry for the
 * collector's dir and persists it (`{dir}/consent.json`, read by every app and CLI on that dir). 204 like Camunda.
 * The bearer token applies. `DO_NOT_TRACK` / `OTEL_SDK_DISABLED` in the collector's environment still force it off:
 * the toggle is saved, and `GET` reports the effective state.
 */
export const telemetryConfigurationPostRoute: Route = {
  method: 'POST',
  path: '/telemetry/configuration',
  async handle(ctx) {
    const type = mediaTypeOf(ctx.req);
    if (type !== 'application/json') throw unsupportedType(type, ['application/json']);
    const body = await readBody(ctx.req, { maxBytes: Math.min(CONFIGURATION_MAX_BYTES, ctx.collector.config.maxBodyBytes) }, contentEncodingOf(ctx.req));
    const parsed = parseJson(utf8Text(body));
    if (parsed instanceof RequestError) throw parsed;
    const value = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>).enableTelemetry : undefined;
    if (typeof value !== 'boolean') throw new ValidationError('enableTelemetry', 'required, true or false');
    const { consent } = collectorUsage(ctx.collector);
    consent.setEnabled(value);
    diag.debug(`telemetry ${value ? 'enabled' : 'disabled'} through POST /telemetry/configuration (now ${consent.enabled ? 'on' : 'off'}: ${consent.reason})`);
    ctx.res.writeHead(204);
    ctx.res.end();
  },
};

/**
 * `POST /v1/traces`: OTLP/HTTP traces in JSON or protobuf (what `@opentelemetry/exporter-trace-otlp-http` and
 * `-proto` send), turned into usage per scenario (scenario from `service.name`): entry spans count as commands by
 * name, `exception` events as errors — shown as `commands` / `errors` in the scenario's summary. Spans are not
 * stored. Answers per the OTLP spec, in the request's encoding; errors as google.rpc.Status (the logs route's).
 */
export const otlpTracesRoute: Route = otlpRoute('/v1/traces', { request: ExportTraceServiceRequest, response: ExportTraceServiceResponse }, (ctx, request) => {
  const { collector } = ctx;
  const usage = traceUsageOf(request, { defaultScenario: collector.config.scenario, maxSpans: collector.config.maxEventsPerRequest });
  let refused: number;
  try {
    refused = collectorUsage(collector).traces.add(usage);
  } catch (err) {
    throw new StoreError(`trace usage could not be saved: ${(err as Error).message}`, { cause: err });
  }
  const skipped = usage.skipped + refused;
  return skipped > 0 ? { partialSuccess: { rejectedSpans: 0, errorMessage: `${skipped} entry span(s) not counted: name empty or over 128 characters, or a scenario/name limit or the usage byte budget (TELEMETRY_TRACE_USAGE_MAX_BYTES) reached` } } : {};
});

/** A summary with the scenario's trace and metric usage added (only when it has any, so other summaries keep their shape). */
export type UsageScenarioSummary = ScenarioSummary & { commands?: Record<string, number>; errors?: number; metrics?: Record<string, number> };

function withTraceUsage(ctx: RouteContext, summary: ScenarioSummary): UsageScenarioSummary {
  const t = collectorUsage(ctx.collector).traces.get(summary.scenario);
  if (t === undefined) return summary;
  return t.metrics === undefined ? { ...summary, commands: t.commands, errors: t.errors } : { ...summary, commands: t.commands, errors: t.errors, metrics: t.metrics };
}

function traceOnly(scenario: string): ScenarioSummary {
  return { scenario, total_events: 0, last_event: null, failure_counts: {}, recent_failures: [] };
}

/**
 * `GET /api/v1/telemetry`: every scenario's summary, with `commands` / `errors` from traces where there are any;
 * a scenario known only from traces is listed with zero events.
 */
export const summariesWithUsageRoute: Route = {
  method: 'GET',
  path: '/api/v1/telemetry',
  async handle(ctx) {
    const stored = await ctx.collector.store.summaries();
    const known = new Set(stored.map((s) => s.scenario));
    const all = [...stored, ...collectorUsage(ctx.collector).traces.scenarios().filter((s) => !known.has(s)).map(traceOnly)];
    all.sort((a, b) => (a.scenario < b.scenario ? -1 : a.scenario > b.scenario ? 1 : 0));
    const scenarios = all.map((s) => withTraceUsage(ctx, s));
    sendJson(ctx.res, 200, { scenarios, total_scenarios: scenarios.length });
  },
};

/** `GET /api/v1/telemetry/{scenario}`: one scenario's summary with its trace usage; 404 when nothing is known. */
export const scenarioSummaryWithUsageRoute: Route = {
  method: 'GET',
  path: '/api/v1/telemetry/:scenario',
  async handle(ctx) {
    const scenario = ctx.params.scenario!;
    if (!isSafeScenario(scenario)) {
      throw new RequestError(ErrorCode.SCENARIO, 400, `unsafe scenario name ${JSON.stringify(ctx.params.scenario!.slice(0, 80))}`, { field: 'scenario' });
    }
    const summary = (await ctx.collector.store.summary(scenario)) ?? (collectorUsage(ctx.collector).traces.get(scenario) ? traceOnly(scenario) : undefined);
    if (summary === undefined) throw new RequestError(ErrorCode.NOT_FOUND, 404, `no events stored for scenario "${scenario}"`, { field: 'scenario' });
    sendJson(ctx.res, 200, withTraceUsage(ctx, summary));
  },
};

/** The collector routes of the environment-and-usage half, in the order `routes/index.ts` lists them. */
export const usageRoutes: readonly Route[] = [telemetryDataRoute, telemetryConfigurationGetRoute, telemetryConfigurationPostRoute, otlpTracesRoute, otlpMetricsRoute];
