import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { startTemporalDevServer } from '../../devstack/temporal-dev-server.js';
import { workflowsPath } from '../../worker/create-worker.js';
import { provideTestPostgres } from './test-postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    adminDatabaseUrl: string;
    workflowBundlePath: string;
  }
}

/**
 * One Temporal dev server, one Postgres and one workflow bundle for the whole
 * run; each test file then creates its own database and task queue.
 */
export default async function setup(project: TestProject) {
  const [temporal, postgres] = await Promise.all([startTemporalDevServer(), provideTestPostgres()]);
  const bundle = await bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
  const bundlePath = join(mkdtempSync(join(tmpdir(), 'session-sync-bundle-')), 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  process.stdout.write(`test stack: temporal ${temporal.address}, postgres from ${postgres.source}\n`);
  project.provide('temporalAddress', temporal.address);
  project.provide('adminDatabaseUrl', postgres.url);
  project.provide('workflowBundlePath', bundlePath);
  return async () => {
    await temporal.stop();
    await postgres.stop();
  };
}

const quietBundlerLogger = {
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (message: string) => process.stderr.write(`bundler: ${message}\n`),
  error: (message: string) => process.stderr.write(`bundler: ${message}\n`),
  log: () => {},
};
