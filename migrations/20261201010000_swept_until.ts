import { type Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // Where a site's daily sweep has reached: scheduled runs reach back a
  // short while, and once a day a sweep reads the whole day again with a
  // long reach-back, for the sessions that lasted longer. Null until the
  // first sweep; a release before it never reads or writes the column.
  await db.schema.alterTable('sync_watermarks').addColumn('swept_until', 'timestamptz').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sync_watermarks').dropColumn('swept_until').execute();
}
