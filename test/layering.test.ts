import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import ts from 'typescript';
import { ROOT } from './helpers.js';

/**
 * The layering rules of docs/architecture.md, checked on every relative import (static, type-only, re-export and
 * dynamic) of every non-test .ts file of the package:
 *
 *   core ← processors ← exporters ← receivers ← pipeline ← collector ← cli
 *   core ← query ← {collector, cli}
 *
 * - A layer imports only itself and the layers listed for it in ALLOWED.
 * - The collector is its own layer, collector/** (the server's composition root, as pipeline/ is the in-process
 *   chain's). It may import every layer below it; only the entry points (index.ts, register.ts, collector.ts) and
 *   cli/ may import it.
 * - query/ (the log query engine) sits on core alone and is imported only by the collector and cli/ (and entry
 *   points), never by the in-process SDK path (processors, exporters, receivers, pipeline).
 * - Nothing imports cli/ except cli/; nothing imports test/, scripts/ or bench/.
 * - dashboard/ is browser code (bundled into dist/dashboard, served by the collector as files): it imports only
 *   itself and the few Node-free modules in BROWSER_SAFE, which must themselves import nothing; nothing imports it.
 * Known violations are listed, file pair by file pair, in ALLOW_LIST: the test fails on any new one, and on an entry
 * that no longer occurs (delete it).
 */

type Layer = 'core' | 'processors' | 'exporters' | 'receivers' | 'pipeline' | 'query' | 'collector' | 'cli' | 'entry' | 'dashboard';

const ALLOWED: Record<Layer, readonly Layer[]> = {
  core: [],
  processors: ['core'],
  exporters: ['core', 'processors'],
  receivers: ['core', 'processors', 'exporters'],
  pipeline: ['core', 'processors', 'exporters', 'receivers'],
  query: ['core'],
  collector: ['core', 'processors', 'exporters', 'receivers', 'pipeline', 'query'],
  cli: ['core', 'processors', 'exporters', 'receivers', 'pipeline', 'query', 'collector', 'entry'],
  entry: ['core', 'processors', 'exporters', 'receivers', 'pipeline', 'query', 'collector', 'entry'],
  dashboard: [],
};

/** What the dashboard may use from the package: contracts and pure rules with no imports (no Node API reaches the browser bundle). */
const BROWSER_SAFE: readonly string[] = ['query/insights/types.ts', 'query/level.ts'];

/**
 * Known violations: 'importer -> imported', repository-relative paths. Each one says why it is here and what removes
 * it. Empty since the query engine left cli/ (issue 13): keep it that way; an entry is a debt, not a permission.
 */
const ALLOW_LIST: readonly string[] = [
  // (none)
];

const FOLDERS = ['core', 'processors', 'exporters', 'receivers', 'pipeline', 'query', 'collector', 'cli', 'dashboard'];
const ENTRY_FILES = ['index.ts', 'register.ts', 'collector.ts'];

function layerOf(path: string): Layer | undefined {
  if (ENTRY_FILES.includes(path)) return 'entry';
  const top = path.split('/')[0]!;
  return FOLDERS.includes(top) ? (top as Layer) : undefined;
}

function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(join(ROOT, dir))) {
      const path = posix.join(dir, name);
      if (statSync(join(ROOT, path)).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) files.push(path);
    }
  };
  for (const dir of FOLDERS) if (existsSync(join(ROOT, dir))) walk(dir);
  for (const file of ENTRY_FILES) if (existsSync(join(ROOT, file))) files.push(file);
  return files;
}

/** Repository-relative targets of a file's relative imports (`./x.js` → `dir/x.ts`). */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
  return info.importedFiles
    .map((i) => i.fileName)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => relative(ROOT, resolve(dirname(join(ROOT, file)), spec)).split('\\').join('/').replace(/\.js$/, '.ts').replace(/\.mjs$/, '.mts'));
}

describe('layering', () => {
  const files = sourceFiles();
  const violations: string[] = [];
  let edges = 0;
  for (const file of files) {
    const from = layerOf(file)!;
    for (const target of importsOf(file)) {
      edges++;
      const to = layerOf(target);
      const ok = to !== undefined && (to === from || ALLOWED[from].includes(to) || (from === 'dashboard' && BROWSER_SAFE.includes(target)));
      if (!ok) violations.push(`${file} -> ${target}`);
    }
  }

  it('walks the package', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(edges).toBeGreaterThan(300);
    expect(files).toContain('query/matcher.ts');
    expect(files).toContain('collector/routes/events.ts');
    expect(files).toContain('collector/usage/routes.ts');
    expect(files).toContain('dashboard/main.ts');
  });

  it('keeps the modules the browser bundle uses free of imports', () => {
    for (const file of BROWSER_SAFE) expect(importsOf(file), file).toEqual([]);
    const used = files.filter((f) => layerOf(f) === 'dashboard').flatMap(importsOf).filter((t) => layerOf(t) !== 'dashboard');
    expect(new Set(used)).toEqual(new Set(BROWSER_SAFE));
  });

  it('has no import against the layer order beyond the documented allow-list', () => {
    console.log(`layering: ${files.length} files, ${edges} relative imports; allow-list: ${ALLOW_LIST.length} entr${ALLOW_LIST.length === 1 ? 'y' : 'ies'}`);
    const unexpected = violations.filter((v) => !ALLOW_LIST.includes(v));
    expect(unexpected, 'imports against the layer order (see the rules at the top of test/layering.test.ts)').toEqual([]);
  });

  it('lists no allow-list entry that no longer occurs', () => {
    const stale = ALLOW_LIST.filter((v) => !violations.includes(v));
    expect(stale, 'fixed: delete these from ALLOW_LIST').toEqual([]);
  });

  it('catches what it is meant to catch', () => {
    expect(layerOf('collector/routes/events.ts')).toBe('collector');
    expect(layerOf('collector/usage/routes.ts')).toBe('collector');
    expect(layerOf('collector.ts')).toBe('entry');
    expect(layerOf('receivers/usage/UsageCounters.ts')).toBe('receivers');
    expect(ALLOWED.receivers).not.toContain('collector');
    expect(ALLOWED.pipeline).not.toContain('query');
    for (const layer of Object.keys(ALLOWED) as Layer[]) if (layer !== 'cli') expect(ALLOWED[layer]).not.toContain('cli');
    expect(layerOf('test/helpers.ts')).toBeUndefined();
    expect(layerOf('dashboard/pages/overview.ts')).toBe('dashboard');
    for (const layer of Object.keys(ALLOWED) as Layer[]) expect(ALLOWED[layer]).not.toContain('dashboard');
    expect(BROWSER_SAFE).not.toContain('query/insights/compute.ts');
  });
});
