import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poolOf } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { migrateToBeforePartitions } from './support/schema-before-partitions.js';
import { silentLogger } from './support/silent-logger.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

/** The partitioning migration never queues the workers behind a long transaction. */
describe('the migration that partitions fullstory_events', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(false);
    await migrateToBeforePartitions(database.db);
    await sql`insert into fullstory_events (org_id, stream, event_start, row_sha256, occurrence, raw) values ('o-1', 'events', '2026-11-01T10:00:00Z', 'a', 1, '{}')`.execute(database.db);
  });
  afterAll(() => database?.drop());

  const kind = async () => (await sql<{ relkind: string }>`select relkind from pg_class where oid = 'fullstory_events'::regclass`.execute(database.db)).rows[0]!.relkind;

  it('gives up on a table a transaction holds, leaves it as it was and says what to do; a moment later it goes through', async () => {
    // An analyst's transaction left open on the table: every try of the migration waits 5 s for it, then gives up.
    const holder = await poolOf(database.db).connect();
    try {
      await holder.query('begin');
      await holder.query('lock table fullstory_events in access share mode');
      await expect(migrateToLatest(database.db, silentLogger, { tries: 1, waitMs: 100 })).rejects.toThrow(
        'migration_failed: a table the migration changes stayed locked by another transaction through 1 try; find it in pg_stat_activity (state "idle in transaction" or a long query), end it, and run `session-sync migrate` again',
      );
      expect(await kind()).toBe('r');
      // The transaction ends while the migration waits between tries: the next try goes through.
      setTimeout(() => void holder.query('commit'), 2_000);
      await migrateToLatest(database.db, silentLogger, { tries: 3, waitMs: 1_000 });
    } finally {
      holder.release();
    }
    expect(await kind()).toBe('p');
    const rows = await sql<{ partition: string; n: string }>`select tableoid::regclass::text as partition, count(*) as n from fullstory_events group by 1`.execute(database.db);
    expect(rows.rows).toEqual([{ partition: 'fullstory_events_legacy', n: '1' }]);
  });

  it('moves a bound a failed migration left days ago to a week ahead again, so running workers keep writing', async () => {
    const stale = await createTestDatabase(false);
    try {
      await migrateToBeforePartitions(stale.db);
      await sql`insert into fullstory_events (org_id, stream, event_start, row_sha256, occurrence, raw) values ('o-1', 'events', now() - interval '1 hour', 'a', 1, '{}')`.execute(stale.db);
      // Left by a try ten days ago: its cutover is three days past.
      const past = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
      await sql.raw(`alter table fullstory_events add constraint fullstory_events_before_partitions check (event_start < '${past}') not valid; comment on constraint fullstory_events_before_partitions on fullstory_events is '${past}'`).execute(stale.db);
      await migrateToLatest(stale.db, silentLogger);
      const legacy = await stale.db.selectFrom('sync_partitions').select('range_end').where('partition_name', '=', 'fullstory_events_legacy').executeTakeFirstOrThrow();
      expect(legacy.range_end.getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    } finally {
      await stale.drop();
    }
  });
});
