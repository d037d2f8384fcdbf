import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Child-process and server tests are I/O bound; two workers match the 2-core machines.
    maxWorkers: 2,
    typecheck: { enabled: false },
    // Starts a real clickhouse-server for test/clickhouse/ when installed (else those tests skip, saying why).
    globalSetup: ['test/clickhouse/globalSetup.ts'],
  },
});
