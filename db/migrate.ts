import { Migrator, type Kysely, type MigrationResultSet } from 'kysely';
import { migrations } from '../migrations/index.js';
import type { Database } from './database.js';
import type { Logger } from '../logging/logger.js';

/**
 * Applies pending migrations. Safe for N workers starting together: Kysely's
 * Postgres adapter holds `pg_advisory_lock` for the whole run, so
 * one process migrates and the others wait, then find nothing to do.
 * Throws on the first failure, after logging each step.
 *
 * @example await migrateToLatest(db, log)
 */
export async function migrateToLatest(db: Kysely<Database>, log: Logger): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  for (const step of result.results ?? []) {
    const fields = { migration: step.migrationName, direction: step.direction, status: step.status };
    if (step.status === 'Error') log.error(fields, 'migration failed');
    else log.info(fields, 'migration applied');
  }
  if (result.error) throw new Error('migration_failed', { cause: result.error });
}
