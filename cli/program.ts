import { Command } from './commander.js';
import { VERSION } from '../core/version.js';
import type { CliContext } from './context.js';
import { dataCommand } from './commands/data.js';
import { logsCommand } from './commands/logs.js';
import { serveCommand } from './commands/serve.js';
import { statusCommand } from './commands/status.js';
import { summaryCommand } from './commands/summary.js';
import { toggleCommand } from './commands/toggle.js';

const EXAMPLES = `
Examples:
  $ otel-product-telemetry serve --port 4318 --dir ./telemetry
  $ otel-product-telemetry logs picker-wheel --level error --since 2h
  $ otel-product-telemetry summary --format json
  $ otel-product-telemetry status
  $ otel-product-telemetry disable

Exit codes: 0 success, 1 runtime error, 2 usage or configuration error, 130 a one-shot command interrupted.
Short alias: opt-telemetry.`;

/** The command tree. Every usage error goes through commander's exitOverride, so the caller maps it to exit code 2. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('otel-product-telemetry')
    .description('Opt-in product telemetry: run the collector, query stored events, see and change the telemetry setting')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void ctx.stdout.write(s),
      writeErr: (s) => void ctx.stderr.write(s),
      outputError: (s, write) => write(ctx.paintErr('red', s.replace(/\n$/, '')) + '\n(see --help)\n'),
    })
    .showSuggestionAfterError(true)
    .addHelpText('after', EXAMPLES);
  for (const make of [serveCommand, logsCommand, summaryCommand, dataCommand, statusCommand]) program.addCommand(make(ctx));
  program.addCommand(toggleCommand(ctx, true));
  program.addCommand(toggleCommand(ctx, false));
  // addCommand() does not copy settings to the subcommands the way .command() does: share them explicitly.
  for (const cmd of program.commands) {
    cmd.exitOverride();
    cmd.configureOutput(program.configureOutput());
    cmd.showSuggestionAfterError(true);
  }
  return program;
}
