import { resolveSettings } from '../../core/settings.js';
import { collectorSettings } from '../../collector/config.js';
import { InsightsQueryError } from '../../query/insights/errors.js';
import { parseInsightsParams } from '../../query/insights/params.js';
import type { InsightsAnswer, InsightsQuery } from '../../query/insights/types.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { renderInsightsChart } from '../insights/chart.js';
import { localInsights } from '../insights/local.js';
import { remoteInsights } from '../insights/remote.js';
import { renderInsightsTable } from '../insights/table.js';
import { resolveDir } from '../options.js';
import type { InsightsCliOptions } from './insights.js';

/** The route's parameter names as the CLI spells them, for messages. */
const OPTION_OF: Record<string, string> = { from: '--since', to: '--until', bucket: '--bucket', by: '--by', event: '--event', top: '--top', scenario: '<scenario>' };

/** `insights`: parse with the route's parser, answer from the files (the reference computation) or the collector, print. */
export async function runInsights(ctx: CliContext, scenario: string, o: InsightsCliOptions): Promise<void> {
  const query = toQuery(scenario, o);
  const answer = o.url !== undefined ? await remoteInsights(o.url, query, o.token, ctx.signal) : await answerFromDir(ctx, query, o.dir);
  if (o.format === 'json') {
    ctx.stdout.write(JSON.stringify(answer, null, 2) + '\n');
    return;
  }
  if (o.format === 'chart') {
    ctx.stdout.write(renderInsightsChart(answer, { ascii: useAscii(ctx, o), columns: width(ctx), paint: ctx.paint }));
  } else {
    const { text, omitted } = renderInsightsTable(answer, { paint: ctx.paint, columns: ctx.stdout.isTTY ? width(ctx) : undefined });
    ctx.stdout.write(text);
    if (omitted.length > 0) {
      const names = omitted.slice(0, 5).map((g) => JSON.stringify(g)).join(', ') + (omitted.length > 5 ? ', …' : '');
      ctx.warn(`${omitted.length} group column(s) left out to fit the terminal (${names}): --format json or chart, or a wider terminal, show them; a smaller --top folds them into "other"`);
    }
  }
  if (answer.total_events === 0) ctx.warn('no matching events in this range');
}

function toQuery(scenario: string, o: InsightsCliOptions): InsightsQuery {
  try {
    return parseInsightsParams(scenario, { from: o.since, to: o.until, bucket: o.bucket, by: o.by, event: o.event, top: o.top });
  } catch (err) {
    if (err instanceof InsightsQueryError) {
      const option = OPTION_OF[err.field] ?? err.field;
      const prefix = `${err.field}: `;
      const message = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
      // The parser's messages speak of the route's from/to; here they are --since/--until.
      throw new UsageError(`${option}: ${message.replace('before to', 'before --until').replace('between from and to', 'between --since and --until')}`);
    }
    throw err;
  }
}

async function answerFromDir(ctx: CliContext, query: InsightsQuery, dirOption: string | undefined): Promise<InsightsAnswer> {
  const dir = resolveDir(dirOption, ctx.env);
  // Only the setting the failure counts use: an unrelated collector variable must not stop an offline read.
  const { failureEvents } = resolveSettings({ failureEvents: collectorSettings.failureEvents }, {}, ctx.env);
  return localInsights(dir, query, { failureEvents, signal: ctx.signal, onInvalid: (file, n) => ctx.warn(`${file}:${n}: torn or invalid line skipped`) });
}

/**
 * Block characters only where they will be seen as such: a terminal, colours not refused. NO_COLOR is taken as
 * "plain output" (https://no-color.org: any non-empty value), TERM=dumb as a terminal that cannot draw them.
 */
function useAscii(ctx: CliContext, o: InsightsCliOptions): boolean {
  if (o.ascii === true) return true;
  if (o.unicode === true) return false;
  const noColor = ctx.env.NO_COLOR !== undefined && ctx.env.NO_COLOR !== '';
  return noColor || ctx.stdout.isTTY !== true || ctx.env.TERM === 'dumb';
}

/** The terminal's width; in a pipe COLUMNS (as shells export it), else 80. */
function width(ctx: CliContext): number {
  if (ctx.stdout.isTTY === true && typeof ctx.stdout.columns === 'number' && ctx.stdout.columns > 0) return ctx.stdout.columns;
  const env = Number(ctx.env.COLUMNS);
  return Number.isSafeInteger(env) && env >= 20 && env <= 1000 ? env : 80;
}
