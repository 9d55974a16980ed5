import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // A window's first load numbers most rows as they stream and leaves the
  // rest (a negative occurrence) for one statement after its COPY. This
  // index holds only those rows, inside the load's transaction, so that
  // statement finds them without reading the window.
  await sql`create index fullstory_events_left on fullstory_events (org_id, stream, event_start) where occurrence < 0`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index fullstory_events_left`.execute(db);
}
