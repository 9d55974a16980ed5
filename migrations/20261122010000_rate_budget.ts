import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // One row per request granted to an API account, kept for a minute: the
  // sliding-window log every worker process consults before calling the API.
  await db.schema
    .createTable('rate_budget_grants')
    .addColumn('account', 'text', (c) => c.notNull())
    .addColumn('granted_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
    .execute();
  await db.schema.createIndex('rate_budget_grants_account_time').on('rate_budget_grants').columns(['account', 'granted_at']).execute();
  // Set after a 429: no process calls the account's API before paused_until.
  await db.schema
    .createTable('rate_budget_pauses')
    .addColumn('account', 'text', (c) => c.primaryKey())
    .addColumn('paused_until', 'timestamptz', (c) => c.notNull())
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('rate_budget_pauses').execute();
  await db.schema.dropTable('rate_budget_grants').execute();
}
