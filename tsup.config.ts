import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

// The CLI build cannot use tsup's clean (the library build writes into the same dist/ at the same time), so its chunk
// folder is emptied here, once per build: without it, every rebuild left the previous chunks behind in the package.
rmSync(new URL('./dist/cli-chunks', import.meta.url), { recursive: true, force: true });
// The same for the dashboard: its hashed files change name with every change, so old ones would pile up.
rmSync(new URL('./dist/dashboard', import.meta.url), { recursive: true, force: true });

/**
 * The dashboard's index.html: the template (dashboard/index.html) with the hashed names of the bundle and its
 * stylesheet filled in. The collector serves index.html with `no-cache` and the hashed files as immutable.
 */
function writeDashboardPage(): void {
  const dir = new URL('./dist/dashboard/', import.meta.url);
  const files = readdirSync(dir);
  const only = (re: RegExp): string => {
    const found = files.filter((f) => re.test(f));
    if (found.length !== 1) throw new Error(`dashboard build: expected one file matching ${re} in dist/dashboard, found ${found.join(', ') || 'none'}`);
    return found[0]!;
  };
  const page = readFileSync(new URL('./dashboard/index.html', import.meta.url), 'utf8').replace('%JS%', only(/^app-[A-Za-z0-9]+\.js$/)).replace('%CSS%', only(/^app-[A-Za-z0-9]+\.css$/));
  writeFileSync(new URL('index.html', dir), page);
}

// One build, two module formats: OTel users still load things with --require as often as --import.
// Second entry: the command line, dist/cli.cjs plus its lazily loaded chunks in dist/cli-chunks/. It is CommonJS
// because Node starts a CommonJS program faster (no ES module loader to set up: measured ~15 ms of every command's
// start-up, which `logs` pays in its benchmark against grep). The library build's clean leaves those files alone,
// since both builds run at the same time.
export default defineConfig([
  {
    entry: {
      index: 'index.ts',
      'receivers/index': 'receivers/index.ts',
      'processors/index': 'processors/index.ts',
      'exporters/index': 'exporters/index.ts',
      register: 'register.ts',
      collector: 'collector.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: ['!cli.cjs', '!cli.cjs.map', '!cli-chunks/**', '!dashboard/**'],
    target: 'node20',
    platform: 'node',
    splitting: true,
    shims: true,
    // env-paths is ESM-only; bundle it so the CommonJS build needs no require(esm). The semantic-conventions package
    // is bundled too, tree-shaken to the few keys used: its main module defines every constant (~1.6 MB of RSS for
    // every host app at import).
    noExternal: ['env-paths', '@opentelemetry/semantic-conventions'],
  },
  {
    entry: { cli: 'cli/main.ts' },
    format: ['cjs'],
    dts: false,
    sourcemap: true,
    clean: false,
    target: 'node20',
    platform: 'node',
    // Splitting keeps each command's heavy modules (schema library, OTel API, tables) out of `logs` start-up (tsup
    // splits CommonJS output too).
    splitting: true,
    shims: true,
    noExternal: ['env-paths', '@opentelemetry/semantic-conventions'],
    esbuildOptions(options) {
      options.chunkNames = 'cli-chunks/chunk-[hash]';
    },
  },
  {
    // Third entry: the dashboard the collector serves at `/` (dashboard/, browser code bundled with uPlot and its
    // CSS, minified), as content-hashed files in dist/dashboard/ plus the index.html naming them.
    entry: { app: 'dashboard/main.ts' },
    outDir: 'dist/dashboard',
    format: ['esm'],
    platform: 'browser',
    target: 'es2020',
    tsconfig: 'dashboard/tsconfig.json',
    minify: true,
    dts: false,
    sourcemap: false,
    splitting: false,
    clean: false,
    outExtension: () => ({ js: '.js' }),
    esbuildOptions(options) {
      options.entryNames = '[name]-[hash]';
      options.assetNames = '[name]-[hash]';
      options.legalComments = 'none';
    },
    async onSuccess() {
      writeDashboardPage();
    },
  },
]);
