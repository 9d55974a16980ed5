import { sql, type Kysely } from 'kysely';
import type { LoadedConfig } from '../config/load-config.js';
import { connectDatabase } from '../db/connect.js';
import type { Database } from '../db/database.js';
import { erasureKeyFromEnv } from '../erasure/erasure-key.js';
import { checkSuppressionKey } from '../erasure/suppression-list.js';
import { migrateToLatest } from '../db/migrate.js';
import type { Logger } from '../logging/logger.js';
import { registerSiteGauges } from '../metrics/site-gauges.js';
import { SyncMetrics } from '../metrics/sync-metrics.js';
import { checkCredentials } from '../operations/check-credentials.js';
import { checkAbandonedRunsEvery } from '../worker/abandoned-run-check.js';
import { createSyncWorker, type SyncWorker } from '../worker/create-worker.js';
import { limitHeapGrowth } from '../worker/heap-growth.js';
import { installTemporalRuntime } from '../worker/install-runtime.js';
import { startObservabilityServer, type ReadinessReport } from '../worker/observability-server.js';
import { statusPageHtml } from '../status-page/status-page.js';
import { newErrorId } from '../logging/error-id.js';
import { connectTemporalClient } from '../temporal/connect-temporal.js';
import { renderedAtMostEvery } from '../worker/rendered-at-most-every.js';
import { ensureSearchAttributes } from '../temporal/ensure-search-attributes.js';
import { maintainPartitions } from '../worker/partition-maintenance.js';

type Env = Record<string, string | undefined>;

/**
 * `session-sync worker`: migrates (under the advisory lock, so a fleet can
 * start together), checks every credential against its sites and logs the
 * outcome, checks it holds the key of any suppression list of erased
 * people (ERASURE_HASH_KEY), serves /metrics, /healthz and /readyz, then polls the task queue
 * until SIGINT or SIGTERM, when in-flight activities get the configured
 * grace time to finish their page.
 */
export async function workerCommand(config: LoadedConfig, env: Env, log: Logger): Promise<void> {
  limitHeapGrowth();
  const erasureKey = erasureKeyFromEnv(env);
  const { metricsPort, metricsHost } = config.worker;
  const temporalMetricsAddress = metricsPort > 0 ? `127.0.0.1:${metricsPort + 1}` : undefined;
  try {
    installTemporalRuntime(log, { metricsBindAddress: temporalMetricsAddress });
  } catch (error) {
    throw new Error(`cannot serve Temporal's runtime metrics on ${temporalMetricsAddress} (METRICS_PORT + 1, folded into /metrics): ${(error as Error).message}; is another process using that port?`);
  }
  for (const warning of config.warnings) log.warn(warning);
  const db = connectDatabase({ url: config.database.url, maxConnections: config.worker.maxConcurrentActivities + 2 });
  const statusDb = connectDatabase({ url: config.database.url, maxConnections: STATUS_PAGE_CONNECTIONS, statementTimeoutMs: STATUS_PAGE_STATEMENT_TIMEOUT_MS });
  try {
    await migrateToLatest(db, log.child({ module: 'migrate' }));
    // A worker that could not apply a suppression list would fail every load of its account: stop here instead.
    await checkSuppressionKey(db, erasureKey);
    await logCredentialChecks(config, env, db, log);
    const metrics = new SyncMetrics({ processMetrics: true });
    // A client of its own for the schedules' counters on /metrics, the status page and the check for
    // runs Temporal ended unrecorded (the worker's connection is a native one).
    const client = await connectTemporalClient(config.temporal.connection);
    // Workflows set these attributes: a namespace without them would fail every workflow task.
    await ensureSearchAttributes(client, config.temporal.namespace);
    registerSiteGauges(metrics, db, config.sites.sites, { client, taskQueue: config.temporal.taskQueue });
    const syncWorker = await createSyncWorker({ config, credentials: config.credentials, db, log, metrics, ...(erasureKey ? { erasureKey } : {}) });
    const server =
      metricsPort > 0
        ? await startObservabilityServer({
            host: metricsHost,
            port: metricsPort,
            metrics,
            temporalMetricsUrl: temporalMetricsAddress ? `http://${temporalMetricsAddress}/metrics` : null,
            allowedHosts: config.worker.metricsAllowedHosts,
            log,
            readiness: () => readiness(db, syncWorker, log),
            // Anyone who can reach the port can ask for it: a small pool of its own with a statement
            // timeout, and one rendering per 15 s however often it is asked, keep it off the sync's pool.
            statusPage: renderedAtMostEvery(STATUS_PAGE_EVERY_MS, () => statusPageHtml({ db: statusDb, client, config })),
          })
        : undefined;
    log.info(
      {
        taskQueue: config.temporal.taskQueue,
        temporal: config.temporal.connection.describe(),
        namespace: config.temporal.namespace,
        sites: config.sites.sites.map((site) => `${site.customerId}/${site.siteId}`),
        credentials: [...config.credentials].map(([name, secret]) => `${name} (${secret.obfuscated})`),
        metrics: server ? `http://${metricsHost}:${server.port}/metrics` : 'off',
      },
      'worker started',
    );
    const partitionMaintenance = await maintainPartitions({ db, sites: config.sites.sites, intervalMs: PARTITION_MAINTENANCE_EVERY_MS, log: log.child({ module: 'partitions' }) });
    const abandonedRuns = checkAbandonedRunsEvery({ db, client, sites: config.sites.sites, intervalMs: config.worker.abandonedRunCheckMs, log: log.child({ module: 'runs' }) });
    try {
      await syncWorker.worker.run();
    } finally {
      await server?.close();
      await abandonedRuns.stop();
      await partitionMaintenance.stop();
      await syncWorker.close();
      await client.connection.close();
    }
    log.info('worker stopped');
  } finally {
    await statusDb.destroy();
    await db.destroy();
  }
}

const STATUS_PAGE_EVERY_MS = 15_000;
const PARTITION_MAINTENANCE_EVERY_MS = 3_600_000;
const STATUS_PAGE_CONNECTIONS = 2;
const STATUS_PAGE_STATEMENT_TIMEOUT_MS = 5_000;

/** A failing credential does not stop the worker (other sites may be fine), but it is logged loudly. */
async function logCredentialChecks(config: LoadedConfig, env: Env, db: Kysely<Database>, log: Logger): Promise<void> {
  const checks = await checkCredentials({ db, config, env });
  for (const check of checks) {
    const fields = { module: 'check', credential: check.credentialName, key: check.obfuscatedKey, customerId: check.customerId, siteId: check.siteId, outcome: check.outcome };
    if (check.outcome === 'ok') log.info(fields, 'credential check ok');
    else log.error({ ...fields, reason: check.message }, 'credential check failed');
  }
}

const READINESS_TIMEOUT_MS = 2_000;

/**
 * Ready when Postgres answers, Temporal answers and the worker is polling.
 * /readyz has no authentication: a dependency that does not answer reads
 * `unreachable` with an error id, and the log line with that id says why.
 */
async function readiness(db: Kysely<Database>, syncWorker: SyncWorker, log: Logger): Promise<ReadinessReport> {
  const probe = async (dependency: string, check: () => Promise<unknown>) => {
    try {
      await Promise.race([check(), new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${READINESS_TIMEOUT_MS} ms`)), READINESS_TIMEOUT_MS))]);
      return 'ok';
    } catch (error) {
      const errorId = newErrorId();
      log.warn({ err: error, errorId, dependency }, `readiness: ${dependency} unreachable`);
      return `unreachable (error id ${errorId})`;
    }
  };
  const [postgres, temporal] = await Promise.all([
    probe('postgres', () => sql`select 1`.execute(db)),
    probe('temporal', () => syncWorker.connection.workflowService.getSystemInfo({})),
  ]);
  const state = syncWorker.worker.getState();
  const checks = { postgres, temporal, worker: state === 'RUNNING' ? 'ok' : state.toLowerCase() };
  return { ready: Object.values(checks).every((value) => value === 'ok'), checks };
}
