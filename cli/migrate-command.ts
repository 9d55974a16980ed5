import { loadDatabaseConfig } from '../config/load-config.js';
import { connectDatabase } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import type { Logger } from '../logging/logger.js';

/** `session-sync migrate`: applies pending migrations and exits non-zero on failure. */
export async function migrateCommand(env: NodeJS.ProcessEnv, log: Logger): Promise<void> {
  const db = connectDatabase({ url: loadDatabaseConfig(env).url, maxConnections: 1 });
  try {
    await migrateToLatest(db, log.child({ module: 'migrate' }));
  } finally {
    await db.destroy();
  }
}
