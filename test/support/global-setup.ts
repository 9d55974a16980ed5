import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { startTemporalDevServer } from '../../devstack/temporal-dev-server.js';
import { provideTestPostgres } from './test-postgres.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    adminDatabaseUrl: string;
    workflowBundlePath: string;
  }
}

/**
 * One Temporal dev server, one Postgres and the shipped build for the whole
 * run; each test file then creates its own database and task queue. The
 * build (incremental, seconds when nothing changed) runs here when the
 * tests were started some other way than `npm test`, whose pretest has just
 * built: worker processes a test spawns never run stale compiled code.
 */
export default async function setup(project: TestProject) {
  if (process.env.npm_lifecycle_event !== 'test') execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const [temporal, postgres] = await Promise.all([startTemporalDevServer(), provideTestPostgres()]);
  const bundlePath = `${ROOT}dist/workflow-bundle.js`;
  process.stdout.write(`test stack: temporal ${temporal.address}, postgres from ${postgres.source}\n`);
  project.provide('temporalAddress', temporal.address);
  project.provide('adminDatabaseUrl', postgres.url);
  project.provide('workflowBundlePath', bundlePath);
  return async () => {
    await temporal.stop();
    await postgres.stop();
  };
}
