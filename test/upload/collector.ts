import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCollector, type Collector } from '../../collector/index.js';

export const UPLOAD_PATH = '/api/v1/telemetry/upload';

/** The project's collector, in this process, on an ephemeral loopback port (or the one given). */
export async function inProcessCollector(dir: string, options: { port?: number; authToken?: string } = {}): Promise<Collector> {
  return startCollector({ port: options.port ?? 0, host: '127.0.0.1', dir, ...(options.authToken ? { authToken: options.authToken } : {}), env: {} });
}

/**
 * Every event id stored in a JSONL dir (all scenarios), with repeats: a line that is not JSON (a torn tail after a
 * SIGKILL) is skipped. Only `{scenario}.jsonl` files, as the collector writes them.
 */
export function storedIds(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const ids: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!/\.jsonl(\.\d+)?$/.test(name)) continue;
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const v = JSON.parse(line) as { id?: unknown };
        if (typeof v.id === 'string') ids.push(v.id);
      } catch {
        // torn line
      }
    }
  }
  return ids;
}

/** Ids that occur more than once. */
export function duplicates(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const id of ids) (seen.has(id) ? dup : seen).add(id);
  return [...dup];
}

export function range(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
}
