import type { Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // The value exactly as the API sent it, as JSON text, where the jsonb
  // beside it had to replace a NUL or a lone surrogate (which jsonb cannot
  // hold) with U+FFFD. Null when the jsonb is exact. Nullable, so binaries
  // one release older keep writing rows.
  await db.schema.alterTable('fullsession_sessions').addColumn('payload_original', 'text').execute();
  await db.schema.alterTable('fullsession_rejects').addColumn('raw_original', 'text').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('fullsession_rejects').dropColumn('raw_original').execute();
  await db.schema.alterTable('fullsession_sessions').dropColumn('payload_original').execute();
}
