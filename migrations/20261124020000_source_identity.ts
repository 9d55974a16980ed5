import type { Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // A synced stream is (source, account, site): every row that keys or
  // records one names its source. Existing rows are FullSession's, the only
  // source there was. Expand only: the old primary keys stay, so a release
  // one step behind (which names no source and conflicts on the old keys)
  // still runs; a later release drops them, once a second source needs the
  // same account and site ids.
  for (const table of ['sync_checkpoints', 'sync_watermarks', 'credential_checks', 'sync_runs']) {
    await db.schema.alterTable(table).addColumn('source', 'text', (c) => c.notNull().defaultTo('fullsession')).execute();
  }
  await db.schema.createIndex('sync_checkpoints_stream_window').unique().on('sync_checkpoints').columns(['source', 'customer_id', 'site_id', 'window_start', 'window_end', 'lookback_ms']).execute();
  await db.schema.createIndex('sync_watermarks_stream').unique().on('sync_watermarks').columns(['source', 'customer_id', 'site_id']).execute();
  await db.schema.createIndex('credential_checks_stream').unique().on('credential_checks').columns(['credential_name', 'source', 'customer_id', 'site_id']).execute();
  await db.schema.createIndex('sync_runs_stream_started').on('sync_runs').columns(['source', 'customer_id', 'site_id', 'started_at']).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('sync_runs_stream_started').execute();
  await db.schema.dropIndex('credential_checks_stream').execute();
  await db.schema.dropIndex('sync_watermarks_stream').execute();
  await db.schema.dropIndex('sync_checkpoints_stream_window').execute();
  for (const table of ['sync_runs', 'credential_checks', 'sync_watermarks', 'sync_checkpoints']) {
    await db.schema.alterTable(table).dropColumn('source').execute();
  }
}
