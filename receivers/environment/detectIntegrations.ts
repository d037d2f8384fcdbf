import { existsSync } from 'node:fs';

let cached: readonly string[] | undefined;

/**
 * Integrations we can tell from where the process runs, by presence only (never a value): `docker` (`/.dockerenv`),
 * `kubernetes` (`KUBERNETES_SERVICE_HOST` is set), `ci` (`CI` is set and not false). Read once per process.
 */
export function detectIntegrations(env: NodeJS.ProcessEnv = process.env): readonly string[] {
  if (cached && env === process.env) return cached;
  const out: string[] = [];
  if (existsSync('/.dockerenv')) out.push('docker');
  if (isSet(env.KUBERNETES_SERVICE_HOST)) out.push('kubernetes');
  if (isSet(env.CI) && !/^(0|false|no|off)$/i.test(env.CI!.trim())) out.push('ci');
  const result = Object.freeze(out);
  if (env === process.env) cached = result;
  return result;
}

function isSet(v: string | undefined): boolean {
  return v !== undefined && v.trim() !== '';
}
