import { Command } from '../commander.js';
import type { CliContext } from '../context.js';

/**
 * `enable` / `disable`: the persisted toggle ({dir}/consent.json). It beats TELEMETRY_ENABLED but not DO_NOT_TRACK or
 * OTEL_SDK_DISABLED; when one of those still forces telemetry off, the command says so.
 */
export function toggleCommand(ctx: CliContext, value: boolean): Command {
  const name = value ? 'enable' : 'disable';
  return new Command(name)
    .description(value ? 'Turn telemetry on (persisted in the data dir; DO_NOT_TRACK still wins)' : 'Turn telemetry off (persisted in the data dir)')
    .option('--dir <dir>', 'data directory (default: TELEMETRY_DIR, else the platform data dir)')
    .addHelpText('after', `
The choice is saved in {dir}/consent.json and read by every app using that data dir. It overrides TELEMETRY_ENABLED;
DO_NOT_TRACK and OTEL_SDK_DISABLED still force telemetry off.

Examples:
  $ otel-product-telemetry ${name}
  $ otel-product-telemetry ${name} --dir ./telemetry`)
    .action(async (o: { dir?: string }) => {
      const { runToggle } = await import('./toggleRun.js');
      runToggle(ctx, value, o);
    });
}
