import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // Every request granted to an API account, kept for a day: what `status`
  // and `plan` report as spent. Separate from rate_budget_grants, whose rows
  // live a minute and which a release before this one counts whole.
  await db.schema
    .createTable('rate_budget_log')
    .addColumn('account', 'text', (c) => c.notNull())
    .addColumn('granted_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
    .execute();
  await db.schema.createIndex('rate_budget_log_account_time').on('rate_budget_log').columns(['account', 'granted_at']).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('rate_budget_log').execute();
}
