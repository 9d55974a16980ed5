import { sql, type Kysely } from 'kysely';

/** fullstory_events' typed columns, each the named field of `raw` (empty text as null). */
const TYPED_COLUMNS = [
  ['user_id', 'UserId'],
  ['session_id', 'SessionId'],
  ['page_id', 'PageId'],
  ['indv_id', 'IndvId'],
  ['event_type', 'EventType'],
  ['page_url', 'PageUrl'],
  ['user_email', 'UserEmail'],
] as const;

// Frozen in time: a migration never imports application code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // The typed columns of an event become columns Postgres derives from
  // `raw` as it stores the row, with the expression the load used to
  // compute them: a load can then COPY the export's rows straight into
  // fullstory_events. Rewrites the table once.
  await sql.raw(`alter table fullstory_events ${TYPED_COLUMNS.map(([column]) => `drop column ${column}`).join(', ')}`).execute(db);
  const generated = TYPED_COLUMNS.map(([column, field]) => `add column ${column} text generated always as (nullif(raw->>'${field}', '')) stored`);
  await sql.raw(`alter table fullstory_events ${generated.join(', ')}`).execute(db);
  await db.schema.createIndex('fullstory_events_session').on('fullstory_events').columns(['org_id', 'stream', 'user_id', 'session_id']).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`alter table fullstory_events ${TYPED_COLUMNS.map(([column]) => `drop column ${column}`).join(', ')}`).execute(db);
  await sql.raw(`alter table fullstory_events ${TYPED_COLUMNS.map(([column]) => `add column ${column} text`).join(', ')}`).execute(db);
  await sql.raw(`update fullstory_events set ${TYPED_COLUMNS.map(([column, field]) => `${column} = nullif(raw->>'${field}', '')`).join(', ')}`).execute(db);
  await db.schema.createIndex('fullstory_events_session').on('fullstory_events').columns(['org_id', 'stream', 'user_id', 'session_id']).execute();
}
