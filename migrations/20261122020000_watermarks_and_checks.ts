import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // How far scheduled runs have synced each site: the next run starts here.
  // Only scheduled runs move it, and only forward.
  await db.schema
    .createTable('sync_watermarks')
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('site_id', 'text', (c) => c.notNull())
    .addColumn('synced_until', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('sync_watermarks_pk', ['customer_id', 'site_id'])
    .execute();
  // The last outcome of `session-sync check` (or the worker's start-up check)
  // per credential and site, for `credentials list` and `status`.
  await db.schema
    .createTable('credential_checks')
    .addColumn('credential_name', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('site_id', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('checked_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('credential_checks_pk', ['credential_name', 'customer_id', 'site_id'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('credential_checks').execute();
  await db.schema.dropTable('sync_watermarks').execute();
}
