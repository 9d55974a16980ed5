import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.
/**
 * Erasure: the audit of every `session-sync forget` (never who), the
 * suppression list of erased identities as keyed hashes, and the count of
 * records a run dropped for them. The MCP reader is granted neither table.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table erasures (
      id bigserial primary key,
      customer_id text not null,
      source text not null,
      requested_by text not null check (requested_by in ('email', 'user-id')),
      identities integer not null default 0,
      rows_deleted jsonb not null default '{}',
      started_at timestamptz not null default now(),
      finished_at timestamptz
    )`.execute(db);
  await sql`
    create table erasure_suppressions (
      customer_id text not null,
      identity_hash text not null,
      key_id text not null,
      erasure_id bigint not null references erasures (id),
      added_at timestamptz not null default now(),
      primary key (customer_id, identity_hash)
    )`.execute(db);
  await sql`alter table sync_runs add column suppressed bigint not null default 0`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table sync_runs drop column suppressed`.execute(db);
  await sql`drop table erasure_suppressions`.execute(db);
  await sql`drop table erasures`.execute(db);
}
