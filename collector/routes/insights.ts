import { RequestError } from '../../core/errors.js';
import { ErrorCode } from '../../core/errorCodes.js';
import { isSafeScenario } from '../../core/scenario.js';
import { InsightsBudgetError } from '../../query/insights/errors.js';
import { parseInsightsParams } from '../../query/insights/params.js';
import { sendJson, withBody } from '../http/respond.js';
import type { Route } from '../router.js';

/**
 * `GET /api/v1/telemetry/{scenario}/insights`: usage over time for one scenario (query/insights/types.ts has the
 * answer and its rules). Parameters: `from`, `to` (ISO 8601 or a duration before now such as `7d`; default the last 7
 * days), `bucket` (`minute|hour|day|week`, default `day`), `by` (`event`, `level`, `deployment_id` or a details key;
 * default `event`), `event` (only that event), `top` (1..100, default 10). The range is widened to whole buckets.
 *
 * Answers as the summary route does: 400 for an unsafe scenario name, 404 for a scenario without events; 400 naming
 * the parameter for a bad one (unknown and repeated parameters too); 422 naming it when the store cannot answer
 * within its budget (the JSONL store: a details key it does not roll up, over a file larger than its scan budget).
 */
export const scenarioInsightsRoute: Route = {
  method: 'GET',
  path: '/api/v1/telemetry/:scenario/insights',
  async handle(ctx) {
    const scenario = ctx.params.scenario!;
    if (!isSafeScenario(scenario)) {
      throw new RequestError(ErrorCode.SCENARIO, 400, `unsafe scenario name ${JSON.stringify(ctx.params.scenario!.slice(0, 80))}`, { field: 'scenario' });
    }
    const query = parseInsightsParams(scenario, new URLSearchParams(ctx.query));
    const store = ctx.collector.store;
    if ((await store.summary(scenario)) === undefined) throw new RequestError(ErrorCode.NOT_FOUND, 404, `no events stored for scenario "${scenario}"`, { field: 'scenario' });
    let answer;
    try {
      answer = await store.insights(query);
    } catch (err) {
      if (err instanceof InsightsBudgetError) throw withBody(err, { field: err.field });
      throw err;
    }
    sendJson(ctx.res, 200, answer, { 'cache-control': 'no-store' });
  },
};
