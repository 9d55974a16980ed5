import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // When a window's current sync began: its first request, or the reset of
  // a forced re-sync. Everything the source had by then is in the window once
  // it is done, so that is the instant the ledger's claim is made at. Null
  // for rows a release before it made.
  await db.schema.alterTable('sync_checkpoints').addColumn('started_at', 'timestamptz').execute();
  // The coverage ledger: one row per window of a stream that was synced to
  // its end, written in the transaction of the window's last unit. A row
  // says: at synced_at, every record whose key (session end, event time)
  // lies in [range_start, range_end) and that lasted at most reach_back_ms
  // was stored. A forced re-sync resets a window's checkpoint but never its
  // row here, so what was proven stays proven while the re-sync runs.
  // synced_at is when the sync of the window began (its checkpoint's started_at).
  await db.schema
    .createTable('sync_coverage')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('site_id', 'text', (c) => c.notNull())
    .addColumn('range_start', 'timestamptz', (c) => c.notNull())
    .addColumn('range_end', 'timestamptz', (c) => c.notNull())
    .addColumn('reach_back_ms', 'bigint', (c) => c.notNull())
    .addColumn('synced_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('sync_coverage_pk', ['source', 'customer_id', 'site_id', 'range_start', 'range_end', 'reach_back_ms'])
    .execute();
  // Existing installations: every window their checkpoints say is done, as of when it completed (they kept no start).
  await sql`
    insert into sync_coverage (source, customer_id, site_id, range_start, range_end, reach_back_ms, synced_at)
    select source, customer_id, site_id, window_start, window_end, lookback_ms, coalesce(completed_at, updated_at)
    from sync_checkpoints where status = 'done'
    on conflict do nothing`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sync_coverage').execute();
  await db.schema.alterTable('sync_checkpoints').dropColumn('started_at').execute();
}
