import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './helpers.js';
import { VERSION } from '../core/version.js';

/** Every `config.ts` of every component: the settings tables (objects of { env, fromEnv, ... }) they export. */
async function allSettings(): Promise<{ file: string; key: string; env: string }[]> {
  const found: { file: string; key: string; env: string }[] = [];
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const p = join(dir, name);
      if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) return [];
      return statSync(p).isDirectory() ? walk(p) : name === 'config.ts' ? [p] : [];
    });
  for (const file of ['core', 'receivers', 'processors', 'exporters', 'pipeline', 'cli'].flatMap((d) => { try { return walk(join(ROOT, d)); } catch { return []; } })) {
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    for (const value of Object.values(mod)) {
      if (value === null || typeof value !== 'object') continue;
      for (const [key, s] of Object.entries(value as Record<string, unknown>)) {
        if (s && typeof s === 'object' && typeof (s as { env?: unknown }).env === 'string' && typeof (s as { fromEnv?: unknown }).fromEnv === 'function') {
          found.push({ file: relative(ROOT, file), key, env: (s as { env: string }).env });
        }
      }
    }
  }
  return found;
}

describe('documentation matches the code', () => {
  it('README documents every environment variable that a settings table reads', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const settings = await allSettings();
    expect(settings.length).toBeGreaterThan(10);
    const missing = settings.filter((s) => !readme.includes('`' + s.env + '`')).map((s) => `${s.env} (${s.file}: ${s.key})`);
    expect(missing).toEqual([]);
  });

  it('the scope version equals package.json', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});
