import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // FullStory's individuals (users), from the segment export of type
  // TYPE_INDIVIDUAL: one row per individual, its figures as the latest
  // export of a window it was seen in gave them.
  await db.schema
    .createTable('fullstory_individuals')
    .addColumn('org_id', 'text', (c) => c.notNull())
    // Beyond 2^53: kept exactly, as FullStory's decimal text.
    .addColumn('indv_id', 'text', (c) => c.notNull())
    .addColumn('uid', 'text')
    .addColumn('email', 'text')
    .addColumn('display_name', 'text')
    .addColumn('created', 'timestamptz')
    .addColumn('num_sessions', 'bigint')
    .addColumn('num_pages', 'bigint')
    .addColumn('num_events', 'bigint')
    .addColumn('total_sec', 'double precision')
    .addColumn('active_sec', 'double precision')
    .addColumn('last_session_start', 'timestamptz')
    .addColumn('last_event_start', 'timestamptz')
    .addColumn('last_page', 'text')
    .addColumn('last_browser', 'text')
    .addColumn('last_device', 'text')
    .addColumn('last_platform', 'text')
    .addColumn('last_operating_system', 'text')
    .addColumn('raw', 'jsonb', (c) => c.notNull())
    .addColumn('raw_original', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('fullstory_individuals_pkey', ['org_id', 'indv_id'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('fullstory_individuals').execute();
}
