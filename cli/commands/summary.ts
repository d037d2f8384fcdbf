import { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';

export function summaryCommand(_ctx: CliContext): Command {
  return new Command('summary')
    .description('Per-scenario summaries (as GET /api/v1/telemetry)')
    .action(() => {
      throw new CliError('not available yet');
    });
}
