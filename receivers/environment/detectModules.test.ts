import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from '../../test/helpers.js';
import { detectDatabaseDriver, detectFramework, loadedKnownPackages } from './detectModules.js';

// Loaded with require here (no type packages needed); test/environment's child app loads them with `import`.
const load = createRequire(import.meta.url);
const versionOf = (pkg: string) => (JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;

describe('detection from loaded modules', () => {
  it('sees a driver and a framework only once they are loaded, with their package.json versions', () => {
    const before = loadedKnownPackages();
    expect(before.has('pg')).toBe(false);
    expect(before.has('koa')).toBe(false);
    load('pg');
    load('koa');
    const after = loadedKnownPackages();
    expect(after.get('pg')).toEqual({ name: 'pg', version: versionOf('pg') });
    expect(after.get('koa')).toEqual({ name: 'koa', version: versionOf('koa') });
    expect(detectDatabaseDriver(after)).toEqual({ name: 'pg', version: versionOf('pg'), system: 'postgresql' });
    expect(detectFramework(after)).toMatchObject({ vendor: 'koa', version: versionOf('koa') });
  });

  it('prefers the framework the app chose over the one it runs on', () => {
    const loaded = new Map([
      ['express', { name: 'express', version: '5.0.0' }],
      ['@nestjs/core', { name: '@nestjs/core', version: '11.0.0' }],
    ]);
    expect(detectFramework(loaded)).toEqual({ name: '@nestjs/core', version: '11.0.0', vendor: 'nestjs' });
  });
});
