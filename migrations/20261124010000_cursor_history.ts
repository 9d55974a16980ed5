import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // What a window has paged through so far: hashes of the cursors it moved
  // to, so a cursor the API hands out twice (A, B, A, …) stops the window,
  // and how many sessions its pages returned, so pages that bring nothing
  // cannot go on for ever. Defaults keep binaries one release older working.
  await db.schema
    .alterTable('sync_checkpoints')
    .addColumn('cursor_history', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('received', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sync_checkpoints').dropColumn('received').dropColumn('cursor_history').execute();
}
