import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('fullsession_sessions')
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('site_id', 'text', (c) => c.notNull())
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('start_time', 'timestamptz', (c) => c.notNull())
    .addColumn('end_time', 'timestamptz', (c) => c.notNull())
    .addColumn('duration_ms', 'bigint')
    .addColumn('active_time_ms', 'bigint')
    .addColumn('country', 'text')
    .addColumn('country_code', 'text')
    .addColumn('city', 'text')
    .addColumn('os', 'text')
    .addColumn('browser', 'text')
    .addColumn('browser_full_version', 'text')
    .addColumn('device', 'text')
    .addColumn('referrer', 'text')
    .addColumn('landing_page', 'text')
    .addColumn('exit_page', 'text')
    .addColumn('page_count', 'integer')
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('first_synced_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_synced_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('fullsession_sessions_pkey', ['customer_id', 'site_id', 'session_id'])
    .execute();
  await db.schema
    .createIndex('fullsession_sessions_site_start_time')
    .on('fullsession_sessions')
    .columns(['customer_id', 'site_id', 'start_time'])
    .execute();

  await db.schema
    .createTable('sync_checkpoints')
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('site_id', 'text', (c) => c.notNull())
    .addColumn('window_start', 'timestamptz', (c) => c.notNull())
    .addColumn('window_end', 'timestamptz', (c) => c.notNull())
    .addColumn('lookback_ms', 'bigint', (c) => c.notNull())
    .addColumn('cursor', 'jsonb')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'done')`))
    .addColumn('pages', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('sessions', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('completed_at', 'timestamptz')
    .addPrimaryKeyConstraint('sync_checkpoints_pkey', ['customer_id', 'site_id', 'window_start', 'window_end', 'lookback_ms'])
    .execute();

  await db.schema
    .createTable('sync_runs')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('first_run_id', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('site_id', 'text', (c) => c.notNull())
    .addColumn('range_start', 'timestamptz', (c) => c.notNull())
    .addColumn('range_end', 'timestamptz', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('running', 'succeeded', 'failed', 'cancelled')`))
    .addColumn('windows_total', 'integer', (c) => c.notNull())
    .addColumn('windows_done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('pages', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('sessions', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('requests', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('sync_runs_site_started').on('sync_runs').columns(['customer_id', 'site_id', 'started_at']).execute();
  await db.schema.createIndex('sync_runs_workflow_id').on('sync_runs').column('workflow_id').execute();

  await db.schema
    .createTable('fullsession_rejects')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('site_id', 'text', (c) => c.notNull())
    .addColumn('session_id', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('raw', 'jsonb', (c) => c.notNull())
    .addColumn('raw_sha256', 'text', (c) => c.notNull())
    .addColumn('rejected_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('fullsession_rejects_raw_unique', ['customer_id', 'site_id', 'raw_sha256'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('fullsession_rejects').execute();
  await db.schema.dropTable('sync_runs').execute();
  await db.schema.dropTable('sync_checkpoints').execute();
  await db.schema.dropTable('fullsession_sessions').execute();
}
