import { readdirNames } from './fsCalls.js';
import { join } from 'node:path';

const SEGMENT = /^(.+)\.jsonl\.(\d{1,16})$/;

/**
 * A scenario's store files, oldest first: rotated segments `{scenario}.jsonl.{N}` (left by the uploader's compaction
 * while not yet sent; N = rotation time) by N, then the active `{scenario}.jsonl`.
 */
export async function scenarioFiles(dir: string, scenario: string): Promise<{ active: string; segments: string[] }> {
  const segments: [number, string][] = [];
  try {
    for (const name of await readdirNames(dir)) {
      const m = SEGMENT.exec(name);
      if (m && m[1] === scenario) segments.push([Number(m[2]), join(dir, name)]);
    }
  } catch {
    // no dir: the caller reports the missing active file
  }
  segments.sort((a, b) => a[0] - b[0]);
  return { active: join(dir, `${scenario}.jsonl`), segments: segments.map(([, p]) => p) };
}
