import type { LoadedConfig } from '../config/load-config.js';
import { connectDatabase } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import type { Logger } from '../logging/logger.js';
import { checkCredentials } from '../operations/check-credentials.js';
import { createSyncWorker } from '../worker/create-worker.js';
import { installTemporalRuntime } from '../worker/install-runtime.js';

type Env = Record<string, string | undefined>;

/**
 * `session-sync worker`: migrates (under the advisory lock, so a fleet can
 * start together), checks every credential against its sites and logs the
 * outcome, then polls the task queue until SIGINT or SIGTERM, when in-flight
 * activities get the configured grace time to finish their page.
 */
export async function workerCommand(config: LoadedConfig, env: Env, log: Logger): Promise<void> {
  installTemporalRuntime(log);
  const db = connectDatabase({ url: config.database.url, maxConnections: config.worker.maxConcurrentActivities + 2 });
  try {
    await migrateToLatest(db, log.child({ module: 'migrate' }));
    await logCredentialChecks(config, env, db, log);
    const { worker, close } = await createSyncWorker({ config, credentials: config.credentials, db, log });
    log.info(
      {
        taskQueue: config.temporal.taskQueue,
        temporal: config.temporal.address,
        sites: config.sites.sites.map((site) => `${site.customerId}/${site.siteId}`),
        credentials: [...config.credentials].map(([name, secret]) => `${name} (${secret.obfuscated})`),
      },
      'worker started',
    );
    try {
      await worker.run();
    } finally {
      await close();
    }
    log.info('worker stopped');
  } finally {
    await db.destroy();
  }
}

/** A failing credential does not stop the worker (other sites may be fine), but it is logged loudly. */
async function logCredentialChecks(config: LoadedConfig, env: Env, db: Parameters<typeof checkCredentials>[0]['db'], log: Logger): Promise<void> {
  const checks = await checkCredentials({ db, fullsession: config.fullsession, sites: config.sites, env });
  for (const check of checks) {
    const fields = { module: 'check', credential: check.credentialName, key: check.obfuscatedKey, customerId: check.customerId, siteId: check.siteId, outcome: check.outcome };
    if (check.outcome === 'ok') log.info(fields, 'credential check ok');
    else log.error({ ...fields, reason: check.message }, 'credential check failed');
  }
}
