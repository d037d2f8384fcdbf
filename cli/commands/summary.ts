import { Command, Option } from '../commander.js';
import type { CliContext } from '../context.js';
import { httpUrl, scenarioArg } from '../options.js';

export interface SummaryCliOptions {
  format: 'table' | 'json';
  dir?: string;
  url?: string;
  token?: string;
}

export function summaryCommand(ctx: CliContext): Command {
  return new Command('summary')
    .description('Per-scenario summaries (the numbers of GET /api/v1/telemetry), from the data dir or a running collector')
    .argument('[scenario]', 'only this scenario (with its recent failures)', scenarioArg)
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--dir <dir>', 'data directory (default: TELEMETRY_DIR, else the apps\' platform data dir; a collector\'s store: --url, or --dir <its dir>)')
    .addOption(new Option('--url <url>', 'ask a running collector at this base URL instead of reading the data dir').argParser(httpUrl).conflicts('dir'))
    .addOption(new Option('--token <token>', 'bearer token for --url').env('TELEMETRY_AUTH_TOKEN'))
    .addHelpText('after', `
Failure events are TELEMETRY_FAILURE_EVENTS (default: crash, service_crashed, dependency_unreachable,
migration_failed, secrets_missing, update_error, health_check_failed, readiness_timeout); the newest
TELEMETRY_RECENT_FAILURES (default 10) are listed, newest first. --format json prints exactly what the collector's
GET /api/v1/telemetry (or /api/v1/telemetry/{scenario}) answers.

Examples:
  $ otel-product-telemetry summary
  $ otel-product-telemetry summary picker-wheel
  $ otel-product-telemetry summary --format json --url http://127.0.0.1:4318`)
    .action(async (scenario: string | undefined, o: SummaryCliOptions) => {
      const { runSummary } = await import('./summaryRun.js');
      await runSummary(ctx, scenario, o);
    });
}
