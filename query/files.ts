import { readdirNames } from './fsCalls.js';
import { join } from 'node:path';
import { activeFileName, parseStoreName } from '../core/storeFiles.js';

/**
 * A scenario's store files, oldest first: rotated segments `{scenario}.jsonl.{N}` (left by the uploader's compaction
 * while not yet sent; N = rotation time) by N, then the active `{scenario}.jsonl`.
 */
export async function scenarioFiles(dir: string, scenario: string): Promise<{ active: string; segments: string[] }> {
  const segments: [number, string][] = [];
  try {
    for (const name of await readdirNames(dir)) {
      const parsed = parseStoreName(name);
      if (parsed?.rotatedAt !== undefined && parsed.scenario === scenario) segments.push([parsed.rotatedAt, join(dir, name)]);
    }
  } catch {
    // no dir: the caller reports the missing active file
  }
  segments.sort((a, b) => a[0] - b[0]);
  return { active: join(dir, activeFileName(scenario)), segments: segments.map(([, p]) => p) };
}
