import type { Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // When Temporal ends the run's workflow whatever it is doing (a scheduled
  // run's runTimeout). A run that times out runs no more code, so its row
  // stays 'running'; past this instant readers know it ended unfinished.
  // Null: no deadline (backfills), or a row a release before it made.
  await db.schema.alterTable('sync_runs').addColumn('deadline_at', 'timestamptz').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sync_runs').dropColumn('deadline_at').execute();
}
