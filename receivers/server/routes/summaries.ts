import { RequestError } from '../../../core/errors.js';
import { isSafeScenario } from '../../../core/scenario.js';
import { sendJson } from '../http/respond.js';
import type { Route } from '../router.js';
import type { ScenarioSummary } from '../store/TelemetryStore.js';

export interface SummariesResponse {
  scenarios: ScenarioSummary[];
  total_scenarios: number;
}

/** `GET /api/v1/telemetry`: every scenario's summary, sorted by name (kept incrementally; no file is read). */
export const summariesRoute: Route = {
  method: 'GET',
  path: '/api/v1/telemetry',
  async handle(ctx) {
    const scenarios = await ctx.collector.store.summaries();
    sendJson(ctx.res, 200, { scenarios, total_scenarios: scenarios.length } satisfies SummariesResponse);
  },
};

/** `GET /api/v1/telemetry/{scenario}`: one scenario's summary; 404 when the store has none of it. */
export const scenarioSummaryRoute: Route = {
  method: 'GET',
  path: '/api/v1/telemetry/:scenario',
  async handle(ctx) {
    const scenario = ctx.params.scenario!;
    if (!isSafeScenario(scenario)) {
      throw new RequestError('OPT_ERR_SCENARIO', 400, `unsafe scenario name ${JSON.stringify(ctx.params.scenario!.slice(0, 80))}`, { field: 'scenario' });
    }
    const summary = await ctx.collector.store.summary(scenario);
    if (summary === undefined) throw new RequestError('OPT_ERR_NOT_FOUND', 404, `no events stored for scenario "${scenario}"`, { field: 'scenario' });
    sendJson(ctx.res, 200, summary);
  },
};
