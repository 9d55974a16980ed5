import { setTimeout as sleep } from 'node:timers/promises';
import { Migrator, type Kysely, type MigrationResultSet } from 'kysely';
import { migrations } from '../migrations/index.js';
import type { Database } from './database.js';
import type { Logger } from '../logging/logger.js';
import { newerSchemaNote, readSchemaState } from './schema-state.js';

/** How often a migration that found a table locked tries, and how long it waits between tries. */
export interface LockRetries {
  tries: number;
  waitMs: number;
}

const LOCK_RETRIES: LockRetries = { tries: 12, waitMs: 5_000 };

/**
 * Applies pending migrations. Safe for N workers starting together: Kysely's
 * Postgres adapter holds `pg_advisory_lock` for the whole run, so
 * one process migrates and the others wait, then find nothing to do.
 * Throws on the first failure, after logging each step.
 *
 * A migration that changes a synced table takes its locks with a short
 * lock_timeout, so it never queues the workers' reads and writes behind
 * it for long: when a long transaction holds the table, the migration
 * gives up, waits and tries again (12 times, 5 s apart). Work that must not
 * run under a transaction's locks (a migration's `prepare`) runs first.
 *
 * A database a newer release already migrated is left as it is (a rolling
 * deploy or a rollback runs old and new binaries side by side): Kysely
 * would refuse it as "corrupted". Refused only when it also lacks a
 * migration this release needs, which no release produces.
 *
 * @example await migrateToLatest(db, log)
 */
export async function migrateToLatest(db: Kysely<Database>, log: Logger, retries: LockRetries = LOCK_RETRIES): Promise<void> {
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
  for (let attempt = 1; ; attempt += 1) {
    try {
      await prepareAndMigrate(db, state.pending, log);
      return;
    } catch (error) {
      if (!isLockTimeout(error) || attempt >= retries.tries) throw lockTimeoutExplained(error, attempt);
      log.warn({ attempt, retryInMs: retries.waitMs }, 'migration: a table it changes is locked by a long transaction; trying again');
      await sleep(retries.waitMs);
    }
  }
}

async function prepareAndMigrate(db: Kysely<Database>, pending: string[], log: Logger): Promise<void> {
  for (const name of pending) {
    const prepare = migrations[name]?.prepare;
    if (!prepare) continue;
    log.info({ migration: name }, 'migration: preparing');
    await prepare(db);
  }
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  for (const step of result.results ?? []) {
    const fields = { migration: step.migrationName, direction: step.direction, status: step.status };
    if (step.status === 'Error') log.error(fields, 'migration failed');
    else log.info(fields, 'migration applied');
  }
  if (result.error) {
    if (isLockTimeout(result.error)) throw result.error;
    throw new Error('migration_failed', { cause: result.error });
  }
}

/** Postgres's lock_not_available: a `lock_timeout` ran out. */
function isLockTimeout(error: unknown): boolean {
  return (error as { code?: unknown })?.code === '55P03';
}

function lockTimeoutExplained(error: unknown, attempts: number): unknown {
  if (!isLockTimeout(error)) return error;
  return new Error(
    `migration_failed: a table the migration changes stayed locked by another transaction through ${attempts} ${attempts === 1 ? 'try' : 'tries'}; ` +
      'find it in pg_stat_activity (state "idle in transaction" or a long query), end it, and run `session-sync migrate` again',
    { cause: error },
  );
}
