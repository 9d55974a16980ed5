import { Migrator, type Kysely, type MigrationResultSet } from 'kysely';
import { migrations } from '../migrations/index.js';
import type { Database } from './database.js';
import type { Logger } from '../logging/logger.js';
import { newerSchemaNote, readSchemaState } from './schema-state.js';

/**
 * Applies pending migrations. Safe for N workers starting together: Kysely's
 * Postgres adapter holds `pg_advisory_lock` for the whole run, so
 * one process migrates and the others wait, then find nothing to do.
 * Throws on the first failure, after logging each step.
 *
 * A database a newer release already migrated is left as it is (a rolling
 * deploy or a rollback runs old and new binaries side by side): Kysely
 * would refuse it as "corrupted". Refused only when it also lacks a
 * migration this release needs, which no release produces.
 *
 * @example await migrateToLatest(db, log)
 */
export async function migrateToLatest(db: Kysely<Database>, log: Logger): Promise<void> {
  const state = await readSchemaState(db);
  if (state.unknown.length > 0) {
    if (state.pending.length > 0) {
      throw new Error(
        `the database has run migrations this release does not know (${state.unknown.join(', ')}) but not ones it needs (${state.pending.join(', ')}); deploy the release that made the schema`,
      );
    }
    log.warn({ newerMigrations: state.unknown }, newerSchemaNote(state));
    return;
  }
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  for (const step of result.results ?? []) {
    const fields = { migration: step.migrationName, direction: step.direction, status: step.status };
    if (step.status === 'Error') log.error(fields, 'migration failed');
    else log.info(fields, 'migration applied');
  }
  if (result.error) throw new Error('migration_failed', { cause: result.error });
}
