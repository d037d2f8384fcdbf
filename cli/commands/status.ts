import { Command, Option } from '../commander.js';
import type { CliContext } from '../context.js';
import type { StatusOptions } from './statusRun.js';

export function statusCommand(ctx: CliContext): Command {
  return new Command('status')
    .description('Is telemetry enabled and why; environment, data dir, upload URL, queue and spool sizes, last upload')
    .option('--dir <dir>', 'data directory (default: TELEMETRY_DIR, else the platform data dir)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .addHelpText('after', `
Precedence: DO_NOT_TRACK / OTEL_SDK_DISABLED force it off; then the toggle set by enable/disable; then
TELEMETRY_ENABLED; otherwise off (opt-in).

Examples:
  $ otel-product-telemetry status
  $ DO_NOT_TRACK=1 otel-product-telemetry status --format json`)
    .action(async (o: StatusOptions) => {
      const { runStatus } = await import('./statusRun.js');
      runStatus(ctx, o);
    });
}
