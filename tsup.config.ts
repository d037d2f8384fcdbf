import { readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
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

// The library's entries (dist/<name>.js for ESM, dist/<name>.cjs for CommonJS).
const LIBRARY_ENTRIES = {
  index: 'index.ts',
  'receivers/index': 'receivers/index.ts',
  'processors/index': 'processors/index.ts',
  'exporters/index': 'exporters/index.ts',
  register: 'register.ts',
  collector: 'collector.ts',
};

/**
 * The ESM entries become one-line wrappers over the CommonJS build: `export { a, b } from './index.cjs'`.
 * Why: every host app pays the import at start-up (issue 13's target: at most 30 ms over @opentelemetry/sdk-logs).
 * The split ESM build is ~15 chunks that Node's ES module loader reads, compiles and links one by one; the same code
 * as CommonJS loads synchronously and measured +16 ms against +37 ms over sdk-logs alone (bench/import.mjs, same run).
 * It also ends the dual-package hazard: an app that `import`s the package while `--require` loaded the register entry
 * now shares one copy of every class and module state. The cost: bundlers cannot tree-shake the ESM entries, which
 * matters little for a Node.js package. The names come from the ESM build's own export statements (so the two formats
 * export exactly the same names; test/entry.test.ts checks it against `require`), then the ESM chunks are removed.
 */
function writeEsmWrappers(): void {
  const dist = new URL('./dist/', import.meta.url);
  for (const name of Object.keys(LIBRARY_ENTRIES)) {
    const file = new URL(`${name}.js`, dist);
    const built = readFileSync(file, 'utf8');
    // Every `export { ... }` statement of the built module (rollup writes one per chunk re-exported from, plus one of
    // its own); `a as b` exports b.
    const names = [...built.matchAll(/^export \{([^}]*)\}/gm)].flatMap((m) => m[1]!.split(',')).map((x) => x.trim()).filter(Boolean).map((x) => x.split(/\s+as\s+/).pop()!);
    if (names.length === 0 || /^export (?:\*|default|const|let|var|function|class)/m.test(built)) throw new Error(`ESM wrappers: cannot read the export list of dist/${name}.js`);
    const base = name.slice(name.lastIndexOf('/') + 1);
    writeFileSync(file, `// ESM entry over the CommonJS build (see tsup.config.ts): one copy of the code for both formats.\nexport {\n  ${names.join(',\n  ')}\n} from './${base}.cjs';\n`);
    rmSync(new URL(`${name}.js.map`, dist), { force: true });
  }
  for (const f of readdirSync(dist)) if (/^chunk-[A-Za-z0-9_-]+\.js(\.map)?$/.test(f)) unlinkSync(new URL(f, dist));
}

// One build, two module formats (the ESM one over the CommonJS code, above): OTel users still load things with
// --require as often as --import.
// Second entry: the command line, dist/cli.cjs plus its lazily loaded chunks in dist/cli-chunks/. It is CommonJS
// because Node starts a CommonJS program faster (no ES module loader to set up: measured ~15 ms of every command's
// start-up, which `logs` pays in its benchmark against grep). The library build's clean leaves those files alone,
// since both builds run at the same time.
export default defineConfig([
  {
    entry: LIBRARY_ENTRIES,
    // Both formats are built (each gets its .d.ts / .d.cts); the ESM JavaScript is then replaced by wrappers.
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
    // Each chunk goes through rollup (tsup's treeshake), which writes CommonJS chunks as they are. Without it tsup turns
    // its split ESM output into CommonJS with sucrase, which also rewrites every `??` and `?.` into helper calls that
    // allocate a closure or an array per use: the pipeline's hot path measured ~12% slower (bench/pipeline.mjs, ours vs
    // stock 0.98-1.01x against 1.13x; the tight loop 171-196k against 298-333k events/s), and `--require` users always
    // ran that code.
    treeshake: true,
    async onSuccess() {
      writeEsmWrappers();
    },
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
    // As the library's: CommonJS chunks by rollup, keeping `??` and `?.` (the collector that `serve` runs is this build).
    treeshake: true,
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
