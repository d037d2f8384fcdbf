import { defineConfig } from 'tsup';

// One build, two module formats: OTel users still load things with --require as often as --import.
export default defineConfig({
  entry: {
    index: 'index.ts',
    'receivers/index': 'receivers/index.ts',
    'processors/index': 'processors/index.ts',
    'exporters/index': 'exporters/index.ts',
    register: 'register.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  splitting: true,
  shims: true,
  // env-paths is ESM-only; bundle it so the CommonJS build needs no require(esm).
  noExternal: ['env-paths'],
});
