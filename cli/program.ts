import { Command } from './commander.js';
import { VERSION } from '../core/version.js';
import type { CliContext } from './context.js';
import { printableMessage } from '../core/sanitize.js';
import { dataCommand } from './commands/data.js';
import { insightsCommand } from './commands/insights.js';
import { logsCommand } from './commands/logs.js';
import { serveCommand } from './commands/serve.js';
import { statusCommand } from './commands/status.js';
import { summaryCommand } from './commands/summary.js';
import { toggleCommand } from './commands/toggle.js';

const EXAMPLES = `
Examples:
  $ otel-product-telemetry serve --port 4318 --dir ./telemetry
  $ otel-product-telemetry logs picker-wheel --level error --since 2h
  $ otel-product-telemetry insights picker-wheel --by version --since 30d --format chart
  $ otel-product-telemetry summary --format json
  $ otel-product-telemetry status
  $ otel-product-telemetry disable

Exit codes: 0 success, 1 runtime error, 2 usage or configuration error, 130 a one-shot command interrupted.
Short alias: opt-telemetry.`;

const COMMANDS: Record<string, (ctx: CliContext) => Command> = {
  serve: serveCommand,
  logs: logsCommand,
  insights: insightsCommand,
  summary: summaryCommand,
  data: dataCommand,
  status: statusCommand,
  enable: (ctx) => toggleCommand(ctx, true),
  disable: (ctx) => toggleCommand(ctx, false),
};

/**
 * The command tree. Every usage error goes through commander's exitOverride, so the caller maps it to exit code 2.
 * When the first argument names a command, only that one is built (its options, help and checks are the same):
 * building all of them is a few milliseconds of every start-up, which `logs` pays in its benchmark. Anything else
 * (no command, --help, a typo to suggest a correction for) gets the whole tree.
 */
export function buildProgram(ctx: CliContext, argv: readonly string[] = []): Command {
  const program = new Command('otel-product-telemetry')
    .description('Opt-in product telemetry: run the collector, query stored events, see and change the telemetry setting')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void ctx.stdout.write(s),
      writeErr: (s) => void ctx.stderr.write(s),
      outputError: (s, write) => write(ctx.paintErr('red', printableMessage(s.replace(/\n$/, ''))) + '\n(see --help)\n'),
    })
    .showSuggestionAfterError(true)
    .addHelpText('after', EXAMPLES);
  const only = argv[0] !== undefined && Object.hasOwn(COMMANDS, argv[0]) ? COMMANDS[argv[0]] : undefined;
  for (const make of only ? [only] : Object.values(COMMANDS)) program.addCommand(make(ctx));
  // addCommand() does not copy settings to the subcommands the way .command() does: share them explicitly.
  for (const cmd of program.commands) {
    cmd.exitOverride();
    cmd.configureOutput(program.configureOutput());
    cmd.showSuggestionAfterError(true);
  }
  return program;
}
