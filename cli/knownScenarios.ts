import { splitStoreName } from '../core/storeFiles.js';
import { readdirNames } from '../query/fsCalls.js';

/**
 * The tail of a "no events for scenario" message: the scenarios that are in the dir (the first 20), so a typo is
 * seen at once. Used by `logs` and `insights`.
 */
export async function knownScenarios(dir: string): Promise<string> {
  try {
    const names = (await readdirNames(dir))
      .map(splitStoreName)
      .flatMap((p) => (p !== undefined && p.rotatedAt === undefined ? [p.scenario] : []))
      .sort();
    if (names.length === 0) return ' (no scenarios there)';
    return ` (scenarios there: ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', …' : ''})`;
  } catch {
    return ' (the directory does not exist)';
  }
}
