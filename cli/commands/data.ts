import { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';

export function dataCommand(_ctx: CliContext): Command {
  return new Command('data')
    .description('Print the environment and usage data that would be sent (getTelemetryData())')
    .addHelpText('after', `
Examples:
  $ otel-product-telemetry data
  $ otel-product-telemetry data | jq .product`)
    .action(() => {
      throw new CliError('not available yet');
    });
}
