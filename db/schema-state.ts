import { sql, type Kysely } from 'kysely';
import { migrations } from '../migrations/index.js';
import type { Database } from './database.js';

/** How the database's schema compares with the migrations this release knows. */
export interface SchemaState {
  /** How many migrations the database has run: 0 for a database session-sync never migrated. */
  applied: number;
  /** Migrations of this release the database has not run: it is older. */
  pending: string[];
  /** Migrations the database has run that this release does not know: it is newer. */
  unknown: string[];
}

/**
 * Reads which migrations the database has run, with SELECT alone (Kysely's
 * own bookkeeping table), so read-only roles and older binaries can ask.
 */
export async function readSchemaState(db: Kysely<Database>): Promise<SchemaState> {
  const table = await sql<{ present: boolean }>`select to_regclass('kysely_migration') is not null as present`.execute(db);
  const applied = table.rows[0]?.present ? (await sql<{ name: string }>`select name from kysely_migration`.execute(db)).rows.map((row) => row.name) : [];
  const known = Object.keys(migrations);
  return { applied: applied.length, pending: known.filter((name) => !applied.includes(name)), unknown: applied.filter((name) => !known.includes(name)) };
}

/**
 * Migrations keep every table and column a release one step behind uses
 * (they add columns nullable or defaulted; a table partitioned in place
 * keeps its name and columns), so that release runs on a newer schema
 * unchanged. This says so when it happens, for the log.
 */
export function newerSchemaNote(state: SchemaState): string {
  return `the database schema is newer than this release (it has run ${state.unknown.join(', ')}); running on it unchanged, as migrations only add`;
}
