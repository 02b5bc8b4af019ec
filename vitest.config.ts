import {defineConfig} from 'vitest/config'

// Two projects: `unit` is fast and parallel (real files, real EVM, no Docker);
// `e2e` drives the real Docker engine and real geth sealers, one file at a time
// because every file starts its own chain on a 2-core machine. `npm test` runs them one
// after the other: sealers that share the cores with anvil and solc can miss their
// readiness deadline.
export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/*.e2e.test.ts', 'node_modules/**', 'dist/**'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          globalSetup: ['./test/e2e/global-setup.ts'],
          include: ['src/**/*.e2e.test.ts', 'test/e2e/**/*.e2e.test.ts'],
          exclude: ['node_modules/**', 'dist/**'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
})
