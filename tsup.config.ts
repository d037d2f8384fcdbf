import { rmSync } from 'node:fs';
import { defineConfig } from 'tsup';

// The CLI build cannot use tsup's clean (the library build writes into the same dist/ at the same time), so its chunk
// folder is emptied here, once per build: without it, every rebuild left the previous chunks behind in the package.
rmSync(new URL('./dist/cli-chunks', import.meta.url), { recursive: true, force: true });

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
    clean: ['!cli.cjs', '!cli.cjs.map', '!cli-chunks/**'],
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
]);
