import { Command } from '../commander.js';
import type { CliContext } from '../context.js';

export function dataCommand(ctx: CliContext): Command {
  return new Command('data')
    .description('Print the environment and usage data that would be sent (getTelemetryData()); sends nothing')
    .option('--dir <dir>', 'data directory with the saved counters and installation id (default: TELEMETRY_DIR, else the platform data dir)')
    .addHelpText('after', `
Shows the usage report as an app using the same data dir and environment variables would send it: installation id,
product (TELEMETRY_PRODUCT_NAME/VERSION, else ./package.json of the current directory), runtime, configured
database/application server/integrations, and the saved, not yet reported command and metric counts. Things an app
detects at run time from the modules it loads appear only from inside the app (telemetry.getTelemetryData()).

Examples:
  $ otel-product-telemetry data
  $ otel-product-telemetry data --dir ./telemetry | jq .product.internals.commands`)
    .action(async (o: { dir?: string }) => {
      const { runData } = await import('./dataRun.js');
      await runData(ctx, o);
    });
}
