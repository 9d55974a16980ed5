import { type Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.

/**
 * Each account's pace: the moment its budget's next grant is due if
 * grants go evenly at the limit (the theoretical arrival time of the
 * generic cell rate algorithm; db/rate-budget-repository.ts). A release
 * before this one ignores the table and keeps to the sliding window
 * alone, which still bounds every grant.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('rate_budget_pace')
    .addColumn('account', 'text', (c) => c.primaryKey())
    .addColumn('due_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('rate_budget_pace').execute();
}
