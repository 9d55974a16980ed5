import { erasureKeyFromEnv } from '../../erasure/erasure-key.js';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { inject } from 'vitest';
import { loadConfig, type LoadedConfig } from '../../config/load-config.js';
import type { Logger } from '../../logging/logger.js';
import { startInProcessWorker, type InProcessWorker } from './in-process-worker.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { tempDir } from './temp-dir.js';

export interface OperatorStack {
  database: TestDatabase;
  client: Client;
  taskQueue: string;
  configPath: string;
  /** The environment an operator's shell would have: config file, key variables, Temporal, Postgres. */
  env: Record<string, string>;
  config(): LoadedConfig;
  /** Replaces the config file's content, as an operator editing it. */
  writeConfig(yaml: string): void;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A deployment configured by a config file (SESSION_SYNC_CONFIG): its own
 * database, task queue and in-process worker on the shared Temporal dev
 * server. Commands are called in-process or through `runCli` with `env`.
 */
export async function startOperatorStack(options: { yaml: string; secrets: Record<string, string>; apiUrl?: string; env?: Record<string, string>; log: Logger }): Promise<OperatorStack> {
  const database = await createTestDatabase();
  const temporalAddress = inject('temporalAddress');
  const taskQueue = `ops-${randomBytes(4).toString('hex')}`;
  const configPath = join(tempDir('session-sync-ops-'), 'session-sync.yaml');
  writeFileSync(configPath, options.yaml);
  const client = new Client({ connection: await Connection.connect({ address: temporalAddress }) });
  const env: Record<string, string> = {
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    ...(options.apiUrl === undefined ? {} : { FULLSESSION_API_URL: options.apiUrl }),
    FULLSESSION_REQUEST_TIMEOUT: '5s',
    SESSION_SYNC_CONFIG: configPath,
    WORKER_SHUTDOWN_GRACE: '1s',
    WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath'),
    METRICS_PORT: '0',
    LOG_LEVEL: 'info',
    ...options.secrets,
    ...options.env,
  };
  let running: InProcessWorker | undefined;
  const stack: OperatorStack = {
    database,
    client,
    taskQueue,
    configPath,
    env,
    config: () => loadConfig(env, { credentials: true }),
    writeConfig: (yaml) => writeFileSync(configPath, yaml),
    async startWorker() {
      const config = stack.config();
      const erasureKey = erasureKeyFromEnv(env);
      running = await startInProcessWorker({ config, credentials: config.credentials, db: database.db, log: options.log, ...(erasureKey ? { erasureKey } : {}) });
    },
    async stopWorker() {
      await running?.stop();
      running = undefined;
    },
    async close() {
      await stack.stopWorker();
      await client.connection.close();
      await database.drop();
    },
  };
  return stack;
}
