import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runNode, ROOT } from './helpers.js';

// What a host app loads when it imports the package: the main entry and the register entry must not pull in the
// collector (server, routes, stores), protobuf or ClickHouse code — every app pays for what it loads at start-up.
const FORBIDDEN = ['protobufjs', 'CollectorServer', 'JSONEachRow', 'otlpRoot'];

/**
 * Every file of dist/ reachable by static imports and top-level `require`s from an entry, and the external packages
 * it names. The ESM entries are wrappers over the CommonJS build (tsup.config.ts), so the walk crosses into .cjs files.
 */
function graph(entry: string): { files: string[]; externals: Set<string> } {
  const files: string[] = [];
  const externals = new Set<string>();
  const walk = (file: string): void => {
    if (files.includes(file)) return;
    files.push(file);
    const text = readFileSync(file, 'utf8');
    const staticSpecs = /(?:^|\n)\s*(?:import|export)[^'"]*?from\s*["']([^"']+)["']|(?:^|\n)\s*import\s*["']([^"']+)["']|(?:^|\n)var [\w$]+ = require\(["']([^"']+)["']\)/g;
    for (const m of text.matchAll(staticSpecs)) {
      const spec = (m[1] ?? m[2] ?? m[3])!;
      if (spec.startsWith('.')) walk(join(dirname(file), spec));
      else externals.add(spec);
    }
  };
  walk(join(ROOT, 'dist', entry));
  return { files, externals };
}

describe('what an app loads', () => {
  for (const entry of ['index.js', 'register.js']) {
    it(`dist/${entry} reaches no collector, protobuf or ClickHouse code`, () => {
      const { files, externals } = graph(entry);
      expect(files.length).toBeGreaterThan(1);
      const text = files.map((f) => readFileSync(f, 'utf8')).join('\n');
      for (const word of FORBIDDEN) expect(text.includes(word), `${entry} reaches ${word}`).toBe(false);
      // The schema library cost ~60 ms and ~3 MB at import (bench/import.mjs): host-side settings are checked by hand.
      expect([...externals].filter((e) => e === 'zod' || e.startsWith('zod/'))).toEqual([]);
      expect([...externals].filter((e) => e.startsWith('@opentelemetry/')).sort()).toEqual(
        expect.arrayContaining(['@opentelemetry/api', '@opentelemetry/sdk-logs']),
      );
    });
  }

  it('each ESM entry exports exactly the names of its CommonJS twin, from the same module objects', async () => {
    const entries = ['index', 'receivers/index', 'processors/index', 'exporters/index', 'collector'];
    const code = entries
      .map((e) => `{ const esm = await import(${JSON.stringify(join(ROOT, 'dist', `${e}.js`))}); const cjs = require(${JSON.stringify(join(ROOT, 'dist', `${e}.cjs`))});` +
        ` const names = Object.keys(cjs).filter((k) => k !== '__esModule').sort(); const mismatch = names.filter((k) => esm[k] !== cjs[k]);` +
        ` out.push({ e: ${JSON.stringify(e)}, esm: Object.keys(esm).sort(), cjs: names, mismatch }); }`)
      .join(' ');
    const r = await runNode('-', { input: `const { createRequire } = await import('node:module'); const require = createRequire(import.meta.url); const out = []; ${code} console.log(JSON.stringify(out));`, nodeArgs: ['--input-type=module'] });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { e: string; esm: string[]; cjs: string[]; mismatch: string[] }[];
    expect(out.map((o) => o.e)).toEqual(entries);
    for (const o of out) {
      expect(o.esm.length, o.e).toBeGreaterThan(3);
      expect(o.esm, o.e).toEqual(o.cjs);
      expect(o.mismatch, o.e).toEqual([]);
    }
  });

  it('the collector entry has the server (and the main entry has not)', () => {
    const text = graph('collector.js').files.map((f) => readFileSync(f, 'utf8')).join('\n');
    expect(text).toContain('protobufjs');
  });

  it('at run time: importing the main entry (ESM and CommonJS) loads no protobuf module', async () => {
    // CommonJS modules (ours from the require, and any package either format pulls in) land in require.cache.
    const code = `await import('otel-product-telemetry'); require('otel-product-telemetry'); console.log(JSON.stringify(Object.keys(require.cache)));`;
    const r = await runNode('-', { input: `const { createRequire } = await import('node:module'); const require = createRequire(${JSON.stringify(join(ROOT, 'package.json'))}); ${code}`, nodeArgs: ['--input-type=module'] });
    expect(r.stderr).toBe('');
    const loaded = JSON.parse(r.stdout) as string[];
    const ours = loaded.filter((f) => f.startsWith(join(ROOT, 'dist')));
    expect(ours.length).toBeGreaterThan(1);
    expect(loaded.filter((f) => f.includes('protobufjs'))).toEqual([]);
    const text = ours.map((f) => readFileSync(f, 'utf8')).join('\n');
    for (const word of FORBIDDEN) expect(text.includes(word), `require('otel-product-telemetry') loads ${word}`).toBe(false);
  });
});
