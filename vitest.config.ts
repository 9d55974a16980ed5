import { defineConfig } from 'vitest/config';
import LongRunningFirst from './test/support/long-running-first.js';

export default defineConfig({
  test: {
    // Temporal's native bridge and worker threads behave best in child processes.
    pool: 'forks',
    globalSetup: ['test/support/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Four files at a time on 2 cores: most of a file's time is spent waiting
    // (heartbeat timeouts, retry backoff, a sliding minute); at two the cores
    // stood idle more than half the run, at four they are busy about 3/4 of it.
    maxWorkers: 4,
    sequence: { sequencer: LongRunningFirst },
  },
});
