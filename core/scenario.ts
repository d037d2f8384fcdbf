/** A scenario name becomes a file name `{dir}/{scenario}.jsonl`, so only a conservative alphabet is allowed. */
export const SCENARIO_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

// Windows device names are files nowhere else; refuse them everywhere so a store can move between systems.
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

export function isSafeScenario(name: unknown): name is string {
  return typeof name === 'string' && SCENARIO_PATTERN.test(name) && !WINDOWS_DEVICE.test(name) && !name.includes('..');
}

/**
 * Turn a package name like `@acme/shop-api` into a usable default scenario (`acme-shop-api`). Only used for
 * defaults derived from package.json; names given explicitly are validated, never rewritten.
 */
export function scenarioFromPackageName(pkgName: string | undefined): string | undefined {
  if (!pkgName) return undefined;
  const cleaned = pkgName.replace(/^@/, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').replace(/\.{2,}/g, '.').slice(0, 128);
  return isSafeScenario(cleaned) ? cleaned : undefined;
}
