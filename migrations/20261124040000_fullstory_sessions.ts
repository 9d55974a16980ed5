import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // One row per FullStory session (user and session id), derived from its
  // events in the same transaction that loads them, so it stays exact as
  // the windows holding its events are loaded again.
  await db.schema
    .createTable('fullstory_sessions')
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('stream', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('session_start', 'timestamptz', (c) => c.notNull())
    .addColumn('session_end', 'timestamptz', (c) => c.notNull())
    .addColumn('page_count', 'integer', (c) => c.notNull())
    .addColumn('event_count', 'integer', (c) => c.notNull())
    .addColumn('entry_url', 'text')
    .addColumn('exit_url', 'text')
    .addColumn('device', 'text')
    .addColumn('browser', 'text')
    .addColumn('platform', 'text')
    .addColumn('operating_system', 'text')
    .addColumn('uid', 'text')
    .addColumn('email', 'text')
    .addColumn('display_name', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('fullstory_sessions_pkey', ['org_id', 'stream', 'user_id', 'session_id'])
    .execute();
  await db.schema.createIndex('fullstory_sessions_start').on('fullstory_sessions').columns(['org_id', 'stream', 'session_start']).execute();
  await db.schema.dropIndex('fullstory_events_session').execute();
  await db.schema.createIndex('fullstory_events_session').on('fullstory_events').columns(['org_id', 'stream', 'user_id', 'session_id']).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('fullstory_events_session').execute();
  await db.schema.createIndex('fullstory_events_session').on('fullstory_events').columns(['org_id', 'user_id', 'session_id']).execute();
  await db.schema.dropTable('fullstory_sessions').execute();
}
