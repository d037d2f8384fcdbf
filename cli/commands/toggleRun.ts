import { TOGGLE_FILE, writeToggle } from '../../core/consent.js';
import { printable } from '../../core/sanitize.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { resolveDir } from '../options.js';
import { explainReason, loadConsent } from '../settingsView.js';

/** Persist the toggle, then say what is now in effect (DO_NOT_TRACK or OTEL_SDK_DISABLED may still force it off). */
export function runToggle(ctx: CliContext, value: boolean, o: { dir?: string }): void {
  const dir = resolveDir(o.dir, ctx.env);
  try {
    writeToggle(dir, value);
  } catch (err) {
    throw new CliError(`could not save the setting in ${dir}/${TOGGLE_FILE}: ${(err as Error).message}`, { cause: err });
  }
  const { consent } = loadConsent(ctx.env, dir);
  ctx.stdout.write(`Telemetry ${value ? 'enabled' : 'disabled'} (saved in ${printable(dir)}/${TOGGLE_FILE}).\n`);
  if (consent.enabled !== value) ctx.warn(`telemetry is still ${consent.enabled ? 'on' : 'off'} here: ${explainReason(consent.reason, consent.enabled, ctx.env, dir)}`);
}
