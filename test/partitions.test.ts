import { CompiledQuery, sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.js';
import { FULLSTORY_EVENTS_TABLE, FULLSTORY_SESSIONS_TABLE, partitionName, SitePartitions } from '../db/site-partitions.js';
import { countSessions, getSession, searchSessions } from '../read-model/session-queries.js';
import { countEvents, eventsByDay } from '../sources/fullstory/events-table.js';
import { refreshTouchedSessions } from '../sources/fullstory/sessions-table.js';
import type { SiteConfig } from '../config/site-config.js';
import { queryRecorder, relationsOf } from './support/query-plans.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const DAY = 86_400_000;
const at = (iso: string) => Date.parse(iso);
const SITE_A = { customerId: 'o-A-na1', siteId: 'events' };
const SITE_B = { customerId: 'o-B-na1', siteId: 'events' };
const A = { orgId: SITE_A.customerId, stream: SITE_A.siteId };

async function insertEvent(db: Kysely<Database>, site: typeof SITE_A, eventStart: string, sessionId = 's1'): Promise<string> {
  const row = await sql<{ partition: string }>`
    insert into fullstory_events (org_id, stream, event_start, row_sha256, occurrence, user_id, session_id, raw)
    values (${site.customerId}, ${site.siteId}, ${eventStart}, md5(random()::text), 1, 'u1', ${sessionId}, '{}')
    returning tableoid::regclass::text as partition`.execute(db);
  return row.rows[0]!.partition;
}

describe('fullstory_events, partitioned by site and time', () => {
  let database: TestDatabase;
  let recorder: ReturnType<typeof queryRecorder>;
  let logged: Kysely<Database>;

  beforeAll(async () => {
    database = await createTestDatabase();
    recorder = queryRecorder(database.url);
    logged = recorder.db;
  });
  afterAll(async () => {
    await logged?.destroy();
    await database?.drop();
  });

  /** The partitions of fullstory_events each query `read` makes reads, by EXPLAIN with the query's own parameters. */
  const partitionsRead = (read: () => Promise<unknown>) => recorder.partitionsRead('fullstory_events', read);

  it('a new database: range-partitioned on (org_id, stream, event_start) in one level, with no default partition', async () => {
    const key = await sql<{ key: string; defaults: number }>`
      select pg_get_partkeydef('fullstory_events'::regclass) as key,
        (select count(*)::int from pg_partitioned_table where partdefid <> 0) as defaults`.execute(database.db);
    expect(key.rows[0]).toEqual({ key: 'RANGE (org_id, stream, event_start)', defaults: 0 });
  });

  it('partitions are created aligned to the site span, recorded, and only once, whichever worker asks', async () => {
    const range = { start: at('2026-11-02T05:00:00Z'), end: at('2026-11-04T01:00:00Z') };
    const names = ['20261102', '20261103', '20261104'].map((day) => `${partitionName(FULLSTORY_EVENTS_TABLE, SITE_A, at(`${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6)}T00:00:00Z`))}`);
    // Five workers loading windows of the site at once: the advisory lock lets one create them.
    const created = await Promise.all(Array.from({ length: 5 }, () => new SitePartitions(database.db).ensure(FULLSTORY_EVENTS_TABLE, SITE_A, '1d', range)));
    // And the sessions' partitions, reaching two days back: a session's key is at most that before its events.
    const sessionDays = ['2026-10-31', '2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04'].map((day) => partitionName(FULLSTORY_SESSIONS_TABLE, SITE_A, at(`${day}T00:00:00Z`)));
    expect(created.flat().sort()).toEqual([...names, ...sessionDays]);
    expect(names[0]).toMatch(/^fullstory_events_[0-9a-f]{10}_20261102$/);
    expect(await insertEvent(database.db, SITE_A, '2026-11-02T23:59:59.999Z')).toBe(names[0]);
    expect(await insertEvent(database.db, SITE_A, '2026-11-03T00:00:00Z')).toBe(names[1]);
    // Another site's rows have no partition there: never a default one that would take them.
    await expect(insertEvent(database.db, SITE_B, '2026-11-03T00:00:00Z')).rejects.toThrow('no partition of relation "fullstory_events" found for row');
    const recorded = await database.db.selectFrom('sync_partitions').select(['partition_name', 'customer_id', 'site_id', 'range_start', 'range_end']).where('parent_table', '=', 'fullstory_events').orderBy('partition_name').execute();
    expect(recorded.map((row) => [row.partition_name, row.customer_id, row.site_id, row.range_start?.toISOString(), row.range_end.toISOString()])).toEqual([
      [names[0], SITE_A.customerId, SITE_A.siteId, '2026-11-02T00:00:00.000Z', '2026-11-03T00:00:00.000Z'],
      [names[1], SITE_A.customerId, SITE_A.siteId, '2026-11-03T00:00:00.000Z', '2026-11-04T00:00:00.000Z'],
      [names[2], SITE_A.customerId, SITE_A.siteId, '2026-11-04T00:00:00.000Z', '2026-11-05T00:00:00.000Z'],
    ]);

    // The site moves to weekly partitions: the rest of that week fills the gap after the days, and no overlap is made.
    const weekly = (await new SitePartitions(database.db).ensure(FULLSTORY_EVENTS_TABLE, SITE_A, '7d', { start: at('2026-11-03T00:00:00Z'), end: at('2026-11-10T00:00:00Z') })).filter((name) => name.startsWith('fullstory_events'));
    expect(weekly).toEqual([partitionName(FULLSTORY_EVENTS_TABLE, SITE_A, at('2026-11-05T00:00:00Z')), partitionName(FULLSTORY_EVENTS_TABLE, SITE_A, at('2026-11-09T00:00:00Z'))]);
    expect(await insertEvent(database.db, SITE_A, '2026-11-08T23:00:00Z')).toBe(weekly[0]);
    expect(await new SitePartitions(database.db).holding(FULLSTORY_EVENTS_TABLE, SITE_A, { start: at('2026-11-05T00:00:00Z'), end: at('2026-11-06T00:00:00Z') })).toBe(weekly[0]);
    expect(await new SitePartitions(database.db).holding(FULLSTORY_EVENTS_TABLE, SITE_A, { start: at('2026-11-04T12:00:00Z'), end: at('2026-11-05T12:00:00Z') })).toBeUndefined();
  });

  it('readers read only the partitions of their site and time range (EXPLAIN)', async () => {
    const first = at('2026-10-01T00:00:00Z');
    for (const site of [SITE_A, SITE_B]) await new SitePartitions(database.db).ensure(FULLSTORY_EVENTS_TABLE, site, '1d', { start: first, end: first + 10 * DAY });
    const dayOf = (site: typeof SITE_A, n: number) => partitionName(FULLSTORY_EVENTS_TABLE, site, first + n * DAY);
    await insertEvent(database.db, SITE_A, new Date(first + 4 * DAY + 3_600_000).toISOString(), 's-day4');
    await sql`
      insert into fullstory_sessions (org_id, stream, user_id, session_id, started_at, session_start, session_end, page_count, event_count)
      values (${SITE_A.customerId}, ${SITE_A.siteId}, 'u1', 's-day4', ${new Date(first + 4 * DAY)}, ${new Date(first + 4 * DAY + 3_600_000)}, ${new Date(first + 4 * DAY + 3_600_000)}, 1, 1)`.execute(database.db);

    // coverage: the days asked for.
    expect(await partitionsRead(() => eventsByDay(logged, A, first + 3 * DAY, first + 5 * DAY))).toEqual([[dayOf(SITE_A, 3), dayOf(SITE_A, 4)]]);
    // status: the site's partitions, none of another site's.
    const [ofSite] = await partitionsRead(() => countEvents(logged, A));
    expect(ofSite).toContain(dayOf(SITE_A, 0));
    expect(ofSite!.some((name) => name.startsWith(partitionName(FULLSTORY_EVENTS_TABLE, SITE_B, first).slice(0, -8)))).toBe(false);
    // MCP get_session: the events of the session's own time.
    const site = { source: 'fullstory', customerId: SITE_A.customerId, siteId: SITE_A.siteId } as SiteConfig;
    const session = await partitionsRead(() => getSession(logged, site, 'u1:s-day4', 10, 0));
    expect(session).toEqual([[dayOf(SITE_A, 4)], [dayOf(SITE_A, 4)]]);
    // MCP search_sessions and count_sessions, by end time: the sessions keyed from two days before
    // the range to its end, of the site alone; and those kept from before keys (none: no partition).
    const sessionsDay = (n: number) => partitionName(FULLSTORY_SESSIONS_TABLE, SITE_A, first + n * DAY);
    const sessionsRead = (read: () => Promise<unknown>) => recorder.partitionsRead('fullstory_sessions', read);
    const dayFour = { from: first + 4 * DAY, to: first + 5 * DAY };
    // (The two run at once: in either order.)
    const searched = await sessionsRead(() => searchSessions(logged, site, dayFour, {}, 10, null));
    expect(searched.sort((a, b) => a.length - b.length)).toEqual([[], [sessionsDay(2), sessionsDay(3), sessionsDay(4)]]);
    expect(await sessionsRead(() => countSessions(logged, site, dayFour, 'day'))).toEqual([[sessionsDay(2), sessionsDay(3), sessionsDay(4)]]);
    expect((await searchSessions(logged, site, dayFour, {}, 10, null)).sessions.map((found) => found.sessionId)).toEqual(['u1:s-day4']);

    // A re-export of day 4 that touched that session derives it again from its events between its
    // row's first and last and in the window: no other day's partition is read (EXPLAIN ANALYZE).
    // It also had s-gone, whose events the re-export no longer holds: its row is deleted.
    const window = { start: first + 4 * DAY, end: first + 5 * DAY };
    await sql`
      insert into fullstory_sessions (org_id, stream, user_id, session_id, started_at, session_start, session_end, page_count, event_count)
      values (${SITE_A.customerId}, ${SITE_A.siteId}, 'u1', 's-gone', ${new Date(first + 4 * DAY)}, ${new Date(first + 4 * DAY + 60_000)}, ${new Date(first + 4 * DAY + 60_000)}, 1, 1)`.execute(database.db);
    const touch = (trx: Kysely<Database>) =>
      sql`create temp table fullstory_touched on commit drop as select 'u1'::text as user_id, unnest(array['s-day4', 's-gone']) as session_id, ${new Date(first + 4 * DAY)}::timestamptz as started_at`.execute(trx);
    // The refresh's statements, recorded in a transaction rolled back; then each run again, in
    // order from the same state, under EXPLAIN ANALYZE.
    await logged
      .transaction()
      .execute(async (trx) => {
        await touch(trx);
        recorder.queries.length = 0;
        await refreshTouchedSessions(trx, A, window);
        throw new Error('rolled back');
      })
      .catch((error: unknown) => expect(String(error)).toContain('rolled back'));
    const statements = recorder.queries.filter((q) => q.sql.includes('fullstory_events') || q.sql.includes("'-infinity'") || q.sql.includes('delete from fullstory_sessions'));
    const read = await logged.transaction().execute(async (trx) => {
      await touch(trx);
      const plans: Array<[string[], string[]]> = [];
      for (const query of statements) {
        const plan = await trx.executeQuery(CompiledQuery.raw(`explain (analyze, format json) ${query.sql}`, [...query.parameters]) as CompiledQuery<{ 'QUERY PLAN': unknown }>);
        const relations = relationsOf(plan.rows[0]!['QUERY PLAN']);
        const of = (table: string) => [...new Set(relations.filter((name) => name.startsWith(table)))].sort();
        plans.push([of('fullstory_events'), of('fullstory_sessions_')]);
      }
      return plans;
    });
    // And of the sessions' partitions, the one of the sessions' key alone. In turn: rows kept from
    // before sessions were keyed (none here: no partition holds that key), the sessions derived
    // again, those left with no events found, and deleted.
    const keyDay = partitionName(FULLSTORY_SESSIONS_TABLE, SITE_A, first + 4 * DAY);
    expect(read).toEqual([
      [[], []],
      [[dayOf(SITE_A, 4)], [keyDay]],
      [[dayOf(SITE_A, 4)], [keyDay]],
      [[], [keyDay]],
    ]);
    expect(statements[3]!.sql).toContain('delete from fullstory_sessions');
    const left = await sql<{ session_id: string }>`select session_id from fullstory_sessions where org_id = ${SITE_A.customerId} order by 1`.execute(database.db);
    expect(left.rows.map((row) => row.session_id)).toEqual(['s-day4']);
  });
});
