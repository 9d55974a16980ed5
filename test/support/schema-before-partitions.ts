import { Migrator, type Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { migrations } from '../../migrations/index.js';

/**
 * Migrates a fresh database to the schema of the release before the synced
 * tables were partitioned (every migration before the first of those): a
 * database that release filled, for a test to upgrade.
 */
export async function migrateToBeforePartitions(db: Kysely<Database>): Promise<void> {
  const names = Object.keys(migrations);
  const last = names[names.indexOf('20261207000000_partitioned_fullstory_events') - 1]!;
  const result = await new Migrator({ db, provider: { getMigrations: async () => migrations } }).migrateTo(last);
  if (result.error) throw result.error;
}
