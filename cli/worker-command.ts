import type { LoadedConfig } from '../config/load-config.js';
import { connectDatabase } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import type { Logger } from '../logging/logger.js';
import { createSyncWorker } from '../worker/create-worker.js';
import { installTemporalRuntime } from '../worker/install-runtime.js';

/**
 * `session-sync worker`: migrates (under the advisory lock, so a fleet can
 * start together), then polls the task queue until SIGINT or SIGTERM, when
 * in-flight activities get the configured grace time to finish their page.
 */
export async function workerCommand(config: LoadedConfig, log: Logger): Promise<void> {
  installTemporalRuntime(log);
  const db = connectDatabase({ url: config.database.url, maxConnections: config.worker.maxConcurrentActivities + 2 });
  try {
    await migrateToLatest(db, log.child({ module: 'migrate' }));
    const { worker, connection } = await createSyncWorker({ config, credentials: config.credentials, db, log });
    log.info(
      {
        taskQueue: config.temporal.taskQueue,
        temporal: config.temporal.address,
        sites: config.fullsession.siteIds,
        credentials: [...config.credentials].map(([name, secret]) => `${name} (${secret.obfuscated})`),
      },
      'worker started',
    );
    try {
      await worker.run();
    } finally {
      await connection.close();
    }
    log.info('worker stopped');
  } finally {
    await db.destroy();
  }
}
