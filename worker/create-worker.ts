import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Kysely } from 'kysely';
import { createActivities } from '../activities/create-activities.js';
import { FullSessionSources } from '../activities/fullsession-sources.js';
import type { Config } from '../config/load-config.js';
import type { Secret } from '../config/secret.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logging/logger.js';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface SyncWorkerDeps {
  config: Pick<Config, 'temporal' | 'fullsession' | 'worker'>;
  credentials: ReadonlyMap<string, Secret>;
  db: Kysely<Database>;
  log: Logger;
}

/**
 * Creates a worker polling the session-sync task queue. The caller runs it
 * (`worker.run()`) and closes the returned connection after it stops.
 */
export async function createSyncWorker(deps: SyncWorkerDeps): Promise<{ worker: Worker; connection: NativeConnection }> {
  const { temporal, fullsession, worker: settings } = deps.config;
  const connection = await NativeConnection.connect({ address: temporal.address });
  const sources = new FullSessionSources(
    { apiUrl: fullsession.apiUrl, ratePerMinute: fullsession.ratePerMinute, requestTimeoutMs: fullsession.requestTimeoutMs },
    deps.credentials,
    deps.db,
  );
  const worker = await Worker.create({
    connection,
    namespace: temporal.namespace,
    taskQueue: temporal.taskQueue,
    ...(settings.workflowBundlePath ? { workflowBundle: { codePath: settings.workflowBundlePath } } : { workflowsPath }),
    activities: createActivities({ db: deps.db, sources, log: deps.log.child({ module: 'activities' }) }),
    maxConcurrentActivityTaskExecutions: settings.maxConcurrentActivities,
    shutdownGraceTime: settings.shutdownGraceMs,
  });
  return { worker, connection };
}
