import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type NativeConnection, Worker } from '@temporalio/worker';
import type { Kysely } from 'kysely';
import { createActivities } from '../activities/create-activities.js';
import { SiteSchedules } from '../activities/site-schedules.js';
import type { Config } from '../config/load-config.js';
import type { Secret } from '../config/secret.js';
import type { Database } from '../db/database.js';
import type { ErasureKey } from '../erasure/erasure-key.js';
import type { Logger } from '../logging/logger.js';
import { SyncMetrics } from '../metrics/sync-metrics.js';
import { createSources } from '../sources/source-registry.js';
import { connectTemporalWorker } from '../temporal/connect-temporal.js';
import { withoutWorkflowStackTraces } from './workflow-stack-traces.js';

/** Whether this is the compiled worker (dist/) rather than the sources run through tsx. */
const compiled = import.meta.url.endsWith('.js');
export const workflowsPath = fileURLToPath(new URL(compiled ? '../workflows/index.js' : '../workflows/index.ts', import.meta.url));
/** The compiled worker's workflow bundle, built beside it (scripts/build.mjs), so it starts without webpack. */
const builtBundlePath = compiled ? fileURLToPath(new URL('../workflow-bundle.js', import.meta.url)) : undefined;

export interface SyncWorkerDeps {
  config: Pick<Config, 'temporal' | 'sources' | 'sites' | 'worker'>;
  credentials: ReadonlyMap<string, Secret>;
  db: Kysely<Database>;
  log: Logger;
  /** Where activities count requests, pages and sessions; a throw-away registry when omitted. */
  metrics?: SyncMetrics;
  /** The key of the suppression lists of erased people (ERASURE_HASH_KEY). */
  erasureKey?: ErasureKey;
}

export interface SyncWorker {
  worker: Worker;
  connection: NativeConnection;
  /** Closes the worker's connections once `worker.run()` has returned. */
  close(): Promise<void>;
}

/**
 * Creates a worker polling the session-sync task queue. The caller runs it
 * (`worker.run()`) and calls `close()` after it stops.
 */
export async function createSyncWorker(deps: SyncWorkerDeps): Promise<SyncWorker> {
  const { temporal, worker: settings } = deps.config;
  const connection = await connectTemporalWorker(temporal.connection);
  const metrics = deps.metrics ?? new SyncMetrics();
  const log = deps.log.child({ module: 'activities' });
  const sources = createSources({ config: deps.config, credentials: deps.credentials, db: deps.db, metrics, log, ...(deps.erasureKey ? { erasureKey: deps.erasureKey } : {}) });
  const schedules = new SiteSchedules(temporal, log);
  // Read by activities between pages; set once the worker exists.
  const lifecycle: { worker?: Worker } = {};
  const draining = () => lifecycle.worker !== undefined && lifecycle.worker.getState() !== 'RUNNING';
  const worker = await Worker.create({
    connection,
    namespace: temporal.namespace,
    taskQueue: temporal.taskQueue,
    ...workflowCode(settings.workflowBundlePath),
    activities: createActivities({ db: deps.db, sources, schedules, metrics, log, draining }),
    maxConcurrentActivityTaskExecutions: settings.maxConcurrentActivities,
    shutdownGraceTime: settings.shutdownGraceMs,
    stickyQueueScheduleToStartTimeout: settings.stickyQueueTimeoutMs,
    ...workflowThreading(settings.workflowThread),
    ...deploymentVersioning(temporal.deploymentVersion),
  });
  lifecycle.worker = worker;
  return {
    worker,
    connection,
    async close() {
      await schedules.close();
      await connection.close();
    },
  };
}

/** How long one workflow activation may run before the SDK fails it as a deadlock (the SDK's own default). */
const WORKFLOW_DEADLOCK_TIMEOUT = '5s';

/**
 * Workflows on the main thread: session-sync runs a few light workflows per
 * site, and a worker thread of their own costs a second V8 heap (about 30 MB
 * of an idle worker's 160). The SDK calls this `debugMode`; its one other
 * effect, lifting the deadlock timeout, is undone here, so a workflow stuck
 * in a loop still fails its task after 5 s as it would in a thread, and
 * the stack trace hook it would run for every promise is turned off
 * (workflow-stack-traces.ts).
 */
function workflowThreading(thread: 'main' | 'own') {
  if (thread === 'main') withoutWorkflowStackTraces();
  return { debugMode: thread === 'main', isolateExecutionTimeout: WORKFLOW_DEADLOCK_TIMEOUT };
}

/**
 * Under the Temporal Worker Controller the worker polls as the version the
 * controller rolled out, or the controller never sees it ready. Auto-upgrade:
 * a running sync moves to the newest version at its next workflow task, as
 * it does unversioned; session-sync keeps its workflows replay-safe across
 * releases (test/replay.test.ts), and a pinned backfill would keep an old
 * version's pods alive for days.
 */
function deploymentVersioning(version: Config['temporal']['deploymentVersion']) {
  if (!version) return {};
  return { workerDeploymentOptions: { useWorkerVersioning: true as const, version, defaultVersioningBehavior: 'AUTO_UPGRADE' as const } };
}

/** The configured bundle, else the built one, else the sources bundled at start-up (development). */
function workflowCode(configuredBundlePath: string | undefined) {
  const bundlePath = configuredBundlePath ?? (builtBundlePath !== undefined && existsSync(builtBundlePath) ? builtBundlePath : undefined);
  return bundlePath !== undefined ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath };
}
