import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { inject } from 'vitest';
import { ENV_CREDENTIAL_NAME, loadConfig, type LoadedConfig } from '../../config/load-config.js';
import type { FullSessionSandbox } from '../../devstack/sandboxes/fullsession/sandbox-server.js';
import { startInProcessWorker, type InProcessWorker } from './in-process-worker.js';
import { installTemporalRuntime } from '../../worker/install-runtime.js';
import { syncRangeWorkflow, type SyncRangeInput } from '../../workflows/sync-range-workflow.js';
import type { RunResult } from '../../workflows/sync-contract.js';
import { CUSTOMER, HOUR, MAX_SESSION, SITE } from './sandbox-fixtures.js';
import { silentLogger } from './silent-logger.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

export interface SyncHarness {
  database: TestDatabase;
  client: Client;
  taskQueue: string;
  /** The configuration a `session-sync` process with `workerEnv()` would load. */
  config: LoadedConfig;
  /** Runs a range workflow to completion and returns its totals. */
  syncRange(overrides: Partial<SyncRangeInput> & Pick<SyncRangeInput, 'from' | 'to'>, workflowId?: string): Promise<RunResult>;
  startWorker(): Promise<void>;
  /** The environment of a `session-sync worker` process for this stack. */
  workerEnv(overrides?: Record<string, string>): Record<string, string>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The real stack for one test file: its own database and task queue, the
 * shared Temporal dev server, an in-process worker against the sandbox.
 */
export interface SyncHarnessOptions {
  /** The account's request budget; high by default so only tests about the limit meet it. */
  ratePerMinute?: number;
  /** Extra worker environment, e.g. a shorter request timeout. */
  env?: Record<string, string>;
  /** A Postgres other than the suite's (the restart test brings its own). */
  adminDatabaseUrl?: string;
}

export async function startSyncHarness(sandbox: FullSessionSandbox, token: string, options: SyncHarnessOptions = {}): Promise<SyncHarness> {
  const { ratePerMinute = 100_000, env = {} } = options;
  installTemporalRuntime(silentLogger);
  const database = await createTestDatabase(true, options.adminDatabaseUrl);
  const temporalAddress = inject('temporalAddress');
  const taskQueue = `test-${randomBytes(4).toString('hex')}`;
  const client = new Client({ connection: await Connection.connect({ address: temporalAddress }) });
  const workerEnv = (overrides: Record<string, string> = {}): Record<string, string> => ({
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    FULLSESSION_API_URL: sandbox.url,
    FULLSESSION_API_TOKEN: token,
    FULLSESSION_CUSTOMER_ID: CUSTOMER,
    FULLSESSION_SITE_IDS: `${SITE},site-b`,
    FULLSESSION_RATE_LIMIT_PER_MINUTE: String(ratePerMinute),
    FULLSESSION_REQUEST_TIMEOUT: '5s',
    SYNC_WINDOW: '6h',
    SYNC_MAX_SESSION_DURATION: '4h',
    WORKER_SHUTDOWN_GRACE: '1s',
    WORKER_MAX_CONCURRENT_ACTIVITIES: '4',
    WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath'),
    // Off: several workers of a test share the host; observability.e2e turns it on.
    METRICS_PORT: '0',
    LOG_LEVEL: 'warn',
    ...env,
    ...overrides,
  });
  const config = loadConfig(workerEnv(), { credentials: true });
  let running: InProcessWorker | undefined;

  const harness: SyncHarness = {
    database,
    client,
    taskQueue,
    config,
    async startWorker() {
      running = await startInProcessWorker({ config, credentials: config.credentials, db: database.db, log: silentLogger });
    },
    workerEnv,
    async stopWorker() {
      await running?.stop();
      running = undefined;
    },
    async syncRange(overrides, workflowId = `range-${randomBytes(4).toString('hex')}`) {
      const input: SyncRangeInput = {
        site: { customerId: CUSTOMER, siteId: SITE, credentialName: ENV_CREDENTIAL_NAME },
        windowMs: 6 * HOUR,
        lookbackMs: MAX_SESSION,
        force: false,
        kind: 'backfill',
        ...overrides,
      };
      return client.workflow.execute(syncRangeWorkflow, { workflowId, taskQueue, args: [input] });
    },
    async close() {
      await harness.stopWorker();
      await client.connection.close();
      await database.drop();
    },
  };
  return harness;
}
