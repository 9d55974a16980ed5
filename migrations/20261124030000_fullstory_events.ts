import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // FullStory's events, as its segment export delivers them. They have no
  // id, and identical rows can be distinct events: a row is keyed by the
  // hash of its content and its occurrence among identical rows of its
  // window, so duplicates are kept as often as the export holds them and
  // re-exporting an unchanged window matches every row (no rewrite).
  await db.schema
    .createTable('fullstory_events')
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('stream', 'text', (c) => c.notNull())
    .addColumn('event_start', 'timestamptz', (c) => c.notNull())
    .addColumn('row_sha256', 'text', (c) => c.notNull())
    .addColumn('occurrence', 'integer', (c) => c.notNull())
    // Ids exceed 2^53: kept exactly, as FullStory's decimal text.
    .addColumn('user_id', 'text')
    .addColumn('session_id', 'text')
    .addColumn('page_id', 'text')
    .addColumn('indv_id', 'text')
    .addColumn('event_type', 'text')
    .addColumn('page_url', 'text')
    .addColumn('user_email', 'text')
    .addColumn('raw', 'jsonb', (c) => c.notNull())
    .addColumn('raw_original', 'text')
    .addColumn('synced_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('fullstory_events_pkey', ['org_id', 'stream', 'event_start', 'row_sha256', 'occurrence'])
    .execute();
  await db.schema.createIndex('fullstory_events_session').on('fullstory_events').columns(['org_id', 'user_id', 'session_id']).execute();
  await db.schema
    .createTable('fullstory_rejects')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('stream', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('raw', 'jsonb', (c) => c.notNull())
    .addColumn('raw_original', 'text')
    .addColumn('raw_sha256', 'text', (c) => c.notNull())
    .addColumn('rejected_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('fullstory_rejects_raw_unique', ['org_id', 'stream', 'raw_sha256'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('fullstory_rejects').execute();
  await db.schema.dropTable('fullstory_events').execute();
}
