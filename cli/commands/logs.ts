import { Command, InvalidArgumentError, Option } from '../commander.js';
import type { CliContext } from '../context.js';
import { CliError, InterruptedError, UsageError } from '../errors.js';
import { FORMATS, makeSink, type LogFormat } from '../logFormat.js';
import { LEVEL_CHOICES, type Level } from '../../query/level.js';
import { LOG_LIMITS } from '../../query/limits.js';
import type { LogQuery } from '../../query/query.js';
import { scenarioFiles } from '../../query/files.js';
import { knownScenarios } from '../knownScenarios.js';
import { LogNotFoundError } from '../../query/errors.js';
import { readLogFile } from '../../query/readFile.js';
import { readRemoteLog } from '../readRemote.js';
import { collect, httpUrl, nonNegativeInt, positiveInt, resolveDir, scenarioArg, timeBound } from '../options.js';
import { Output } from '../../query/output.js';

interface LogsOptions {
  level?: Level;
  search?: string;
  ignoreCase?: boolean;
  since?: number;
  until?: number;
  event: string[];
  limit?: number;
  tail?: number;
  follow?: boolean;
  format: LogFormat;
  url?: string;
  token?: string;
  dir?: string;
  pollInterval: number;
}

const EXAMPLES = `
Level rule: a line's own "level" field wins; otherwise crash, *_failed, service_crashed, dependency_unreachable,
secrets_missing, update_error and readiness_timeout are "error", everything else "info". --level keeps that level
and the more severe ones (info < warn < error < fatal).

Examples:
  $ otel-product-telemetry logs picker-wheel
  $ otel-product-telemetry logs picker-wheel --level error --since 2h
  $ otel-product-telemetry logs picker-wheel --search migration --format jsonl | jq .details
  $ otel-product-telemetry logs picker-wheel --event app_start,ready --since 2025-01-15 --until 2025-01-16
  $ otel-product-telemetry logs picker-wheel --tail 20 --follow
  $ otel-product-telemetry logs picker-wheel --url http://127.0.0.1:4318 --token "$TELEMETRY_AUTH_TOKEN"`;

export function logsCommand(ctx: CliContext): Command {
  return new Command('logs')
    .description('Show the stored events of a scenario ({dir}/{scenario}.jsonl, or from a running collector with --url)')
    .argument('<scenario>', 'scenario name (the file name without .jsonl)', scenarioArg)
    .addOption(new Option('-l, --level <level>', 'only events of this level or more severe').choices(LEVEL_CHOICES))
    .option('-s, --search <text>', 'only events whose name, or a key or value in details, contains this text')
    .option('-i, --ignore-case', 'make --search case-insensitive (default: case-sensitive, like grep)')
    .option('--since <time>', 'only events at or after this time: ISO 8601 or a duration ago (30m, 2h, 7d)', timeBound)
    .option('--until <time>', 'only events at or before this time: ISO 8601 or a duration ago', timeBound)
    .option('-e, --event <name>', 'only these event names (repeatable, or comma-separated)', collect, [])
    .addOption(new Option('-n, --limit <n>', `stop after the first N matching events (at most ${LOG_LIMITS.limit})`).argParser(upTo(positiveInt, LOG_LIMITS.limit)).conflicts('tail'))
    .addOption(new Option('-t, --tail <n>', `only the last N matching events (at most ${LOG_LIMITS.tail}: they are held in memory)`).argParser(upTo(nonNegativeInt, LOG_LIMITS.tail)))
    .option('-f, --follow', 'keep printing new events as they are appended (survives rotation and truncation; starts with the last 10 unless --tail/--limit)')
    .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('table'))
    .addOption(new Option('--url <url>', 'read from a running collector at this base URL instead of the data dir').argParser(httpUrl).conflicts('dir'))
    .addOption(new Option('--token <token>', 'bearer token for --url').env('TELEMETRY_AUTH_TOKEN'))
    .option('--dir <dir>', 'data directory (default: TELEMETRY_DIR, else the apps\' platform data dir; a collector\'s store: --url, or --dir <its dir>)')
    .addOption(new Option('--poll-interval <ms>', 'how often --follow checks for new lines').argParser(positiveInt).default(250))
    .addHelpText('after', EXAMPLES)
    .action(async (scenario: string, o: LogsOptions) => {
      if (o.since !== undefined && o.until !== undefined && o.since > o.until) throw new UsageError('--since is later than --until: nothing could match');
      const query: LogQuery = { level: o.level, search: o.search, ignoreCase: o.ignoreCase, since: o.since, until: o.until, events: o.event };
      const tail = o.tail ?? (o.follow && o.limit === undefined ? 10 : undefined);
      const out = new Output(ctx.stdout);
      const sink = makeSink(o.format, out, { paint: ctx.paint, columns: ctx.stdout.isTTY ? ctx.stdout.columns : undefined, batchRows: o.follow ? 1 : 500 });
      const common = { query, limit: o.limit, tail, follow: o.follow, pollMs: o.pollInterval, warn: ctx.warn, drain: () => out.drain(), signal: ctx.signal };
      let result: { matched: number; skipped: number };
      if (o.url !== undefined) {
        result = await readRemoteLog(o.url, scenario, sink, { ...common, token: o.token });
      } else {
        const dir = resolveDir(o.dir, ctx.env);
        const { active, segments } = await scenarioFiles(dir, scenario);
        try {
          result = await readLogFile(active, sink, { ...common, before: segments });
        } catch (err) {
          if (err instanceof LogNotFoundError) throw new CliError(`no events for scenario "${scenario}" in ${dir}${await knownScenarios(dir)}`);
          throw err;
        }
      }
      await out.end();
      if (ctx.signal.aborted && !o.follow) throw new InterruptedError();
      if (result.matched === 0 && o.format === 'table' && !o.follow) ctx.warn('no matching events');
    });
}

/** A number parser with a maximum (the message names it; commander adds the option and the value). */
function upTo(parse: (value: string) => number, max: number): (value: string) => number {
  return (value) => {
    const n = parse(value);
    if (n > max) throw new InvalidArgumentError(`expected a whole number of at most ${max} (the documented maximum; narrow with --since or a filter instead)`);
    return n;
  };
}
