import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRetention, expiredRanges, planRetention, type SiteRetention } from '../db/partition-retention.js';
import { FULLSESSION_SESSIONS_TABLE, FULLSTORY_EVENTS_TABLE, FULLSTORY_SESSIONS_TABLE, partitionName, SitePartitions } from '../db/site-partitions.js';
import { parseSessionRecord, type FullSessionRecord } from '../sources/fullsession/session-record.js';
import { sessionsByDay } from '../sources/fullsession/sessions-table.js';
import { upsertPage } from './support/upsert-sessions.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const DAY = 86_400_000;
const FIRST = Date.UTC(2026, 9, 1);
const NOW = FIRST + 10 * DAY + 3_600_000;

/** Retention at the level of the tables: detaching instead of dropping, and a run cut short finished by the next. */
describe('retention of partitions', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.drop());

  async function siteWithDays(customerId: string): Promise<SiteRetention['site']> {
    const site = { customerId, siteId: 'events' };
    await new SitePartitions(database.db).ensure(FULLSTORY_EVENTS_TABLE, site, '1d', { start: FIRST, end: FIRST + 10 * DAY });
    for (let n = 0; n < 10; n += 1) {
      await sql`insert into fullstory_events (org_id, stream, event_start, row_sha256, occurrence, raw) select ${customerId}, 'events', ${new Date(FIRST + n * DAY + 60_000)}::timestamptz, md5(i::text), 1, '{}' from generate_series(1, ${n + 1}) i`.execute(database.db);
    }
    return site;
  }
  const attachedOf = async (customerId: string) => {
    const rows = await sql<{ name: string }>`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'fullstory_events'::regclass`.execute(database.db);
    const prefix = partitionName(FULLSTORY_EVENTS_TABLE, { customerId, siteId: 'events' }, FIRST).slice(0, -8);
    return rows.rows.map((row) => row.name).filter((name) => name.startsWith(prefix)).length;
  };

  it('with retentionDetachOnly, detaches the partitions past the horizon and keeps them, rows and all, outside the copy', async () => {
    const site = await siteWithDays('o-detach');
    const retention: SiteRetention = { table: FULLSTORY_EVENTS_TABLE, site, retentionMs: 7 * DAY, action: 'detached' };
    const plan = await planRetention(database.db, retention, NOW);
    expect(plan.partitions.map((p) => p.rows)).toEqual([1, 2, 3]);
    // Sessions are keyed up to two days before their events: those of days 0-2's events are keyed
    // from day -2 to day 2, and a partition of them goes once every day its events could lie in has.
    expect(plan.derived.map((p) => p.name)).toEqual([-2, -1, 0].map((n) => partitionName(FULLSTORY_SESSIONS_TABLE, site, FIRST + n * DAY)));
    expect(await applyRetention(database.db, retention, plan)).toEqual([...plan.partitions, ...plan.derived]);
    expect(await attachedOf('o-detach')).toBe(7);
    const kept = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(partitionName(FULLSTORY_EVENTS_TABLE, site, FIRST + 2 * DAY))}`.execute(database.db);
    expect(kept.rows[0]!.n).toBe(3);
    const inCopy = await sql<{ n: number }>`select count(*)::int as n from fullstory_events where org_id = 'o-detach'`.execute(database.db);
    expect(inCopy.rows[0]!.n).toBe(55 - 6);
  });

  it('a run cut short after recording a partition expired is finished by the next: detached and dropped', async () => {
    const site = await siteWithDays('o-cut');
    const retention: SiteRetention = { table: FULLSTORY_EVENTS_TABLE, site, retentionMs: 9 * DAY, action: 'dropped' };
    // As if a worker had recorded the first day expired and died before detaching it.
    await database.db.updateTable('sync_partitions').set({ expired_at: new Date(), retention_action: 'dropped' }).where('partition_name', '=', partitionName(FULLSTORY_EVENTS_TABLE, site, FIRST)).execute();
    const plan = await planRetention(database.db, retention, NOW);
    expect(plan.partitions).toEqual([]);
    await applyRetention(database.db, retention, plan);
    expect(await attachedOf('o-cut')).toBe(9);
    expect((await sql<{ found: boolean }>`select to_regclass(${partitionName(FULLSTORY_EVENTS_TABLE, site, FIRST)}) is not null as found`.execute(database.db)).rows[0]!.found).toBe(false);
  });

  it('one worker at a time: while another holds the table, a worker does nothing and says so', async () => {
    const site = await siteWithDays('o-busy');
    const retention: SiteRetention = { table: FULLSTORY_EVENTS_TABLE, site, retentionMs: 7 * DAY, action: 'dropped' };
    const holder = await database.db.connection().execute(async (connection) => {
      await sql`select pg_advisory_lock(hashtext('session-sync retention'), hashtext('fullstory_events'))`.execute(connection);
      try {
        return await applyRetention(database.db, retention, await planRetention(database.db, retention, NOW));
      } finally {
        await sql`select pg_advisory_unlock(hashtext('session-sync retention'), hashtext('fullstory_events'))`.execute(connection);
      }
    });
    expect(holder).toBeNull();
    expect(await attachedOf('o-busy')).toBe(10);
  });

  it("FullSession's sessions, partitioned by start and counted by end: a partition goes only once no session in it ended after the horizon, and coverage counts its range as reaching the longest session past it", async () => {
    const HOUR = 3_600_000;
    const site = { customerId: 'cust-retention', siteId: 'site-a' };
    const session = (id: string, start: number, end: number): FullSessionRecord => {
      const parsed = parseSessionRecord({ uuid: id, startTime: start, endTime: end });
      if (!parsed.ok) throw new Error(parsed.reject.reason);
      return parsed.record;
    };
    await new SitePartitions(database.db).ensure(FULLSESSION_SESSIONS_TABLE, site, '1d', { start: FIRST, end: FIRST + 10 * DAY });
    const daily = Array.from({ length: 10 }, (_, n) => session(`s-${n}`, FIRST + n * DAY + HOUR, FIRST + n * DAY + 2 * HOUR));
    // Starts on day 2 at 22:00 and ends on day 3 at 03:00, after the horizon (day 3, 01:00): five hours, the site's longest.
    const long = session('s-long', FIRST + 2 * DAY + 22 * HOUR, FIRST + 3 * DAY + 3 * HOUR);
    await upsertPage(database.db, site.customerId, site.siteId, [...daily, long]);
    const retention: SiteRetention = { table: FULLSESSION_SESSIONS_TABLE, site, retentionMs: 7 * DAY, action: 'dropped' };
    const plan = await planRetention(database.db, retention, NOW);
    expect(plan.horizon).toBe(FIRST + 3 * DAY + HOUR);
    // Day 2's partition holds a session that ended after the horizon: it stays.
    expect(plan.partitions.map((partition) => [partition.name, partition.rows])).toEqual([
      [partitionName(FULLSESSION_SESSIONS_TABLE, site, FIRST), 1],
      [partitionName(FULLSESSION_SESSIONS_TABLE, site, FIRST + DAY), 1],
    ]);
    await applyRetention(database.db, retention, plan);
    const byDay = await sessionsByDay(database.db, site, FIRST, FIRST + 10 * DAY);
    expect(byDay.get(FIRST + 3 * DAY)).toBe(2);
    expect([...byDay.keys()].sort((a, b) => a - b)[0]).toBe(FIRST + 2 * DAY);
    // Sessions that ended up to five hours after day 1 may have started in it: those hours count as expired too.
    expect(await expiredRanges(database.db, FULLSESSION_SESSIONS_TABLE, site)).toEqual([
      { start: FIRST, end: FIRST + DAY + 5 * HOUR },
      { start: FIRST + DAY, end: FIRST + 2 * DAY + 5 * HOUR },
    ]);
  });
});
