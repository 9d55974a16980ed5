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
  // A row stored with none of its typed columns set gets them from `raw`,
  // with the expression the load uses: a load that COPYs the export's rows
  // straight into fullstory_events leaves them unset on a line whose text
  // alone cannot say. Only such rows pay for it (the WHEN runs in C). A
  // trigger, not generated columns: it only adds, so a worker of the
  // release before, which writes the columns itself, runs beside it.
  const assignments = TYPED_COLUMNS.map(([column, field]) => `new.${column} := nullif(new.raw->>'${field}', '');`).join('\n      ');
  await sql.raw(`
    create function fullstory_events_typed_columns() returns trigger language plpgsql as $$
    begin
      ${assignments}
      return new;
    end
    $$`).execute(db);
  await sql`create trigger fullstory_events_typed_columns before insert on fullstory_events for each row when (${sql.raw(TYPED_COLUMNS.map(([column]) => `new.${column} is null`).join(' and '))}) execute function fullstory_events_typed_columns()`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger fullstory_events_typed_columns on fullstory_events`.execute(db);
  await sql`drop function fullstory_events_typed_columns()`.execute(db);
}
