import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../db/checkpoints-repository.js';
import { migrateToLatest } from '../db/migrate.js';
import { siteSyncFacts } from '../db/site-status-repository.js';
import { readWatermark } from '../db/watermarks-repository.js';
import { migrations } from '../migrations/index.js';
import { countSessions } from '../sources/fullsession/sessions-table.js';
import { silentLogger } from './support/silent-logger.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

/** The schema of the release before streams named their source. */
const BEFORE = '20261124010000_cursor_history';
const STREAM = { source: 'fullsession', customerId: 'cust-1', siteId: 'site-a' };
const W1 = { start: '2026-10-01T00:00:00Z', end: '2026-10-02T00:00:00Z' };
const W2 = { start: '2026-10-02T00:00:00Z', end: '2026-10-03T00:00:00Z' };

/** Rows as a release before the migration wrote them: no source anywhere. */
async function seedOldSchema(database: TestDatabase): Promise<void> {
  await sql`insert into fullsession_sessions (customer_id, site_id, session_id, start_time, end_time, payload)
            values ('cust-1', 'site-a', 's-1', ${W1.start}, ${W1.start}, '{"uuid":"s-1"}'), ('cust-1', 'site-a', 's-2', ${W2.start}, ${W2.start}, '{"uuid":"s-2"}')`.execute(database.db);
  await sql`insert into sync_checkpoints (customer_id, site_id, window_start, window_end, lookback_ms, cursor, status, pages, sessions, received, cursor_history)
            values ('cust-1', 'site-a', ${W1.start}, ${W1.end}, 14400000, null, 'done', 3, 2500, 2600, '[]'),
                   ('cust-1', 'site-a', ${W2.start}, ${W2.end}, 14400000, '1759370000000', 'pending', 1, 1000, 1000, '["0123456789abcdef"]')`.execute(database.db);
  await sql`insert into sync_watermarks (customer_id, site_id, synced_until) values ('cust-1', 'site-a', ${W2.start})`.execute(database.db);
  await sql`insert into credential_checks (credential_name, customer_id, site_id, outcome, message) values ('main', 'cust-1', 'site-a', 'ok', 'ok')`.execute(database.db);
  await sql`insert into sync_runs (workflow_id, first_run_id, kind, customer_id, site_id, range_start, range_end, status, windows_total, windows_done, pages, sessions, requests, finished_at)
            values ('backfill:cust-1:site-a', 'run-1', 'backfill', 'cust-1', 'site-a', ${W1.start}, ${W2.end}, 'succeeded', 2, 2, 4, 3500, 4, now())`.execute(database.db);
}

/** Rows as text without the columns this migration adds or sets, nor `swept_until`, `started_at`, `deadline_at` and `suppressed` (added later: null or 0 for old rows). */
async function tableText(database: TestDatabase, table: string): Promise<string[]> {
  const rows = await sql<{ row: string }>`select (to_jsonb(t) - 'source' - 'updated_at' - 'checked_at' - 'swept_until' - 'started_at' - 'deadline_at' - 'suppressed')::text as row from ${sql.table(table)} t order by 1`.execute(database.db);
  return rows.rows.map((r) => r.row);
}

describe('the migration that names every stream by its source', () => {
  let database: TestDatabase;
  const tables = ['fullsession_sessions', 'sync_checkpoints', 'sync_watermarks', 'credential_checks', 'sync_runs'];
  const before = new Map<string, string[]>();

  beforeAll(async () => {
    database = await createTestDatabase(false);
    const migrator = new Migrator({ db: database.db, provider: { getMigrations: async () => migrations } });
    const partial = await migrator.migrateTo(BEFORE);
    expect(partial.error).toBeUndefined();
    await seedOldSchema(database);
    for (const table of tables) before.set(table, await tableText(database, table));
    await migrateToLatest(database.db, silentLogger);
  });
  afterAll(() => database?.drop());

  it('keeps every row and checkpoint, each now FullSession\'s', async () => {
    for (const table of tables) expect(await tableText(database, table), table).toEqual(before.get(table));
    for (const table of tables.filter((t) => t.startsWith('sync_') || t === 'credential_checks')) {
      const sources = await sql<{ source: string }>`select distinct source from ${sql.table(table)}`.execute(database.db);
      expect(sources.rows, table).toEqual([{ source: 'fullsession' }]);
    }
  });

  it('today\'s code finds the old checkpoints, watermark and runs under the stream\'s identity', async () => {
    const pending = await loadCheckpoint(database.db, { ...STREAM, windowStart: Date.parse(W2.start), windowEnd: Date.parse(W2.end), lookbackMs: 14_400_000 });
    expect(pending).toMatchObject({ status: 'pending', cursor: 1759370000000, pages: 1, received: 1000, cursor_history: ['0123456789abcdef'] });
    const done = await loadCheckpoint(database.db, { ...STREAM, windowStart: Date.parse(W1.start), windowEnd: Date.parse(W1.end), lookbackMs: 14_400_000 });
    expect(done.status).toBe('done');
    const checkpoints = await sql<{ n: string }>`select count(*) as n from sync_checkpoints`.execute(database.db);
    expect(checkpoints.rows[0]?.n).toBe('2');
    expect(await readWatermark(database.db, STREAM)).toBe(Date.parse(W2.start));
    const [facts] = await siteSyncFacts(database.db, [STREAM]);
    expect(facts?.lastSyncedUntil).toBe(Date.parse(W2.end));
    expect(await countSessions(database.db, STREAM)).toBe(2);
  });

  it('a release one step behind still writes: its conflict targets name no source', async () => {
    await expect(
      sql`insert into sync_checkpoints (customer_id, site_id, window_start, window_end, lookback_ms, cursor, status)
          values ('cust-1', 'site-a', ${W2.start}, ${W2.end}, 14400000, null, 'pending')
          on conflict (customer_id, site_id, window_start, window_end, lookback_ms) do nothing`.execute(database.db),
    ).resolves.toBeDefined();
    await sql`insert into sync_watermarks (customer_id, site_id, synced_until) values ('cust-1', 'site-b', ${W1.start})
              on conflict (customer_id, site_id) do update set synced_until = excluded.synced_until`.execute(database.db);
    expect(await readWatermark(database.db, { ...STREAM, siteId: 'site-b' })).toBe(Date.parse(W1.start));
  });

  it('gives the coverage ledger (a later migration) every window its checkpoints say is done, and no other', async () => {
    const { rows } = await sql<{ row: string }>`select jsonb_build_array(source, customer_id, site_id, range_start, range_end, reach_back_ms)::text as row from sync_coverage`.execute(database.db);
    expect(rows.map((r) => JSON.parse(r.row))).toEqual([['fullsession', 'cust-1', 'site-a', '2026-10-01T00:00:00+00:00', '2026-10-02T00:00:00+00:00', 14400000]]);
  });
});
