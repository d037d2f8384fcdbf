import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runNode, tmpDir } from '../helpers.js';

const app = join(import.meta.dirname, 'apps/print-id.ts');

async function idOf(dir: string, env: Record<string, string> = {}): Promise<string> {
  const r = await runNode(app, { env: { TELEMETRY_ENABLED: 'true', TELEMETRY_DIR: dir, ...env } });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout) as { installation: string; resource: string };
  expect(out.resource).toBe(out.installation);
  return out.installation;
}

describe('installation id across processes', () => {
  it('is stable across restarts and stored as {dir}/installation-id (0600)', async () => {
    const dir = tmpDir();
    const first = await idOf(dir);
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await idOf(dir)).toBe(first);
    const file = join(dir, 'installation-id');
    expect(readFileSync(file, 'utf8')).toBe(first + '\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await idOf(tmpDir())).not.toBe(first);
  });

  it('is shared by processes that start at the same moment on one dir', async () => {
    const dir = tmpDir();
    const startAt = String(Date.now() + 1500);
    const ids = await Promise.all(Array.from({ length: 4 }, () => idOf(dir, { START_AT: startAt })));
    expect(new Set(ids).size).toBe(1);
    expect(readFileSync(join(dir, 'installation-id'), 'utf8').trim()).toBe(ids[0]);
    // No temp files left behind by the losers.
    expect(readdirSync(dir).filter((f) => f.includes('installation-id'))).toEqual(['installation-id']);
  });

  it('with telemetry off nothing is written; the id is only provisional', async () => {
    const dir = tmpDir();
    const r = await runNode(app, { env: { TELEMETRY_DIR: dir } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).installation).toMatch(/^[0-9a-f-]{36}$/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
