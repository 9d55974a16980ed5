import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Temporal's native bridge and worker threads behave best in child processes.
    pool: 'forks',
    globalSetup: ['test/support/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // 2 cores: two test files at a time keeps the Temporal dev server responsive.
    maxWorkers: 2,
  },
});
