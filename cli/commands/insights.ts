import { Command, Option } from '../commander.js';
import type { CliContext } from '../context.js';
import { httpUrl, scenarioArg } from '../options.js';
import { DEFAULT_INSIGHT_TOP, INSIGHT_BUCKETS, MAX_INSIGHT_TOP } from '../../query/insights/types.js';

export const INSIGHT_FORMATS = ['table', 'json', 'chart'] as const;

export interface InsightsCliOptions {
  by?: string;
  bucket?: string;
  since?: string;
  until?: string;
  event?: string;
  top?: string;
  format: (typeof INSIGHT_FORMATS)[number];
  ascii?: boolean;
  unicode?: boolean;
  dir?: string;
  url?: string;
  token?: string;
}

const HELP = `
What is counted (the rules of GET /api/v1/telemetry/{scenario}/insights, which --url asks): events with
--since <= time < --until (widened to whole buckets), in UTC buckets (weeks start on Monday), every bucket listed,
empty ones too. --by groups
them by event, level, deployment_id or any details key (version, platform, ...); events without that key are
"(none)"; the --top groups with the most events are named, the rest summed as "other". Per bucket also: distinct
installations (installation_id; "~" = estimated above 10000) and failures (TELEMETRY_FAILURE_EVENTS).

Formats: table (default) a row per bucket, a column per group; json exactly the route's answer; chart sparklines
and bars for the terminal (block characters on a terminal, plain ASCII in a pipe, with NO_COLOR or --ascii; as wide
as the terminal, else COLUMNS, else 80).

Examples:
  $ otel-product-telemetry insights picker-wheel
  $ otel-product-telemetry insights picker-wheel --by version --since 30d --format chart
  $ otel-product-telemetry insights picker-wheel --by platform --bucket week --since 2025-01-01 --until 2025-04-01
  $ otel-product-telemetry insights picker-wheel --event crash --by version --bucket hour --since 2d
  $ otel-product-telemetry insights picker-wheel --format json --url http://127.0.0.1:4318 | jq .installations`;

export function insightsCommand(ctx: CliContext): Command {
  return new Command('insights')
    .description('Usage over time for a scenario: events per bucket by a grouping, installations, failures (from the data dir, or a running collector with --url)')
    .argument('<scenario>', 'scenario name (the file name without .jsonl)', scenarioArg)
    .option('-b, --by <grouping>', 'group by event, level, deployment_id or a details key such as version or platform (default: event)')
    .addOption(new Option('--bucket <size>', 'bucket size, UTC (default: day)').choices(INSIGHT_BUCKETS))
    .option('--since <time>', 'from this time, inclusive: ISO 8601 or a duration before now (30m, 12h, 7d, 4w) (default: 7 days before --until)')
    .option('--until <time>', 'up to this time, exclusive: ISO 8601 or a duration before now (default: now)')
    .option('-e, --event <name>', 'count only this event name')
    .option('--top <n>', `name the N groups with the most events, sum the rest as "other" (1-${MAX_INSIGHT_TOP}, default: ${DEFAULT_INSIGHT_TOP})`)
    .addOption(new Option('--format <format>', 'output format').choices(INSIGHT_FORMATS).default('table'))
    .addOption(new Option('--ascii', 'chart: plain ASCII marks even on a terminal').conflicts('unicode'))
    .addOption(new Option('--unicode', 'chart: block characters even in a pipe or with NO_COLOR'))
    .option('--dir <dir>', 'data directory (default: TELEMETRY_DIR, else the apps\' platform data dir; a collector\'s store: --url, or --dir <its dir>)')
    .addOption(new Option('--url <url>', 'ask a running collector at this base URL instead of reading the data dir').argParser(httpUrl).conflicts('dir'))
    .addOption(new Option('--token <token>', 'bearer token for --url').env('TELEMETRY_AUTH_TOKEN'))
    .addHelpText('after', HELP)
    .action(async (scenario: string, o: InsightsCliOptions) => {
      const { runInsights } = await import('./insightsRun.js');
      await runInsights(ctx, scenario, o);
    });
}
