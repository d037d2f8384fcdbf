import { Command } from 'commander';
import { TOGGLE_FILE, writeToggle } from '../../core/consent.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { resolveDir } from '../options.js';
import { explainReason, loadConsent } from '../settingsView.js';

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
Examples:
  $ otel-product-telemetry ${name}
  $ otel-product-telemetry ${name} --dir ./telemetry`)
    .action((o: { dir?: string }) => {
      const dir = resolveDir(o.dir, ctx.env);
      try {
        writeToggle(dir, value);
      } catch (err) {
        throw new CliError(`could not save the setting in ${dir}/${TOGGLE_FILE}: ${(err as Error).message}`, { cause: err });
      }
      const { consent } = loadConsent(ctx.env, dir);
      ctx.stdout.write(`Telemetry ${value ? 'enabled' : 'disabled'} (saved in ${dir}/${TOGGLE_FILE}).\n`);
      if (consent.enabled !== value) ctx.warn(`telemetry is still ${consent.enabled ? 'on' : 'off'} here: ${explainReason(consent.reason, consent.enabled, ctx.env, dir)}`);
    });
}
