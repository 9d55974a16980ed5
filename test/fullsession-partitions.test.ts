import { Migrator, sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SiteConfig } from '../config/site-config.js';
import type { Database } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { FULLSESSION_SESSIONS_TABLE, partitionName, SitePartitions } from '../db/site-partitions.js';
import { migrations } from '../migrations/index.js';
import { countSessions as countByGroup, getSession, searchSessions } from '../read-model/session-queries.js';
import { parseSessionRecord, type FullSessionRecord } from '../sources/fullsession/session-record.js';
import { countSessions, sessionsByDay } from '../sources/fullsession/sessions-table.js';
import { upsertPage } from './support/upsert-sessions.js';
import { queryRecorder } from './support/query-plans.js';
import { silentLogger } from './support/silent-logger.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const FIRST = Date.parse('2026-10-01T00:00:00Z');
const SITE_A = { customerId: 'cust-1', siteId: 'site-a' };
const SITE_B = { customerId: 'cust-1', siteId: 'site-b' };
const CONFIG_A = { source: 'fullsession', ...SITE_A } as SiteConfig;

function session(id: string, startTime: number, endTime: number, extra: Record<string, unknown> = {}): FullSessionRecord {
  const parsed = parseSessionRecord({ uuid: id, startTime, endTime, ...extra });
  if (!parsed.ok) throw new Error(parsed.reject.reason);
  return parsed.record;
}

async function partitionsOf(db: Kysely<Database>): Promise<Array<{ partition: string; session: string }>> {
  const rows = await sql<{ partition: string; session: string }>`select tableoid::regclass::text as partition, session_id as session from fullsession_sessions order by session_id`.execute(db);
  return rows.rows;
}

describe('fullsession_sessions, partitioned by site and start time', () => {
  let database: TestDatabase;
  let recorder: ReturnType<typeof queryRecorder>;
  let logged: Kysely<Database>;
  const dayOf = (site: typeof SITE_A, n: number) => partitionName(FULLSESSION_SESSIONS_TABLE, site, FIRST + n * DAY);

  beforeAll(async () => {
    database = await createTestDatabase();
    recorder = queryRecorder(database.url);
    logged = recorder.db;
    for (const site of [SITE_A, SITE_B]) await new SitePartitions(database.db).ensure(FULLSESSION_SESSIONS_TABLE, site, '1d', { start: FIRST, end: FIRST + 10 * DAY });
  });
  afterAll(async () => {
    await logged?.destroy();
    await database?.drop();
  });

  /** The partitions of fullsession_sessions each query `read` makes reads, by EXPLAIN with the query's own parameters. */
  const partitionsRead = (read: () => Promise<unknown>) => recorder.partitionsRead('fullsession_sessions', read);

  it('a new database: range-partitioned on (customer_id, site_id, start_time) in one level, keyed by start and id, with no default partition', async () => {
    const layout = await sql<{ key: string; primary: string; defaults: number }>`
      select pg_get_partkeydef('fullsession_sessions'::regclass) as key,
        pg_get_constraintdef((select oid from pg_constraint where conname = 'fullsession_sessions_pkey')) as primary,
        (select count(*)::int from pg_partitioned_table where partdefid <> 0) as defaults`.execute(database.db);
    expect(layout.rows[0]).toEqual({ key: 'RANGE (customer_id, site_id, start_time)', primary: 'PRIMARY KEY (customer_id, site_id, start_time, session_id)', defaults: 0 });
  });

  it("a page's sessions land in the partitions of their starts, count on the day they ended, and raise the site's longest session only when longer", async () => {
    // s-night starts on day 2 and ends on day 3: stored in day 2's partition, counted on day 3.
    const page = [session('s-day2', FIRST + 2 * DAY + HOUR, FIRST + 2 * DAY + 2 * HOUR), session('s-night', FIRST + 3 * DAY - HOUR, FIRST + 3 * DAY + 2 * HOUR), session('s-day4', FIRST + 4 * DAY, FIRST + 4 * DAY + 1_000)];
    expect(await upsertPage(database.db, SITE_A.customerId, SITE_A.siteId, page)).toBe(3);
    expect(await partitionsOf(database.db)).toEqual([
      { partition: dayOf(SITE_A, 2), session: 's-day2' },
      { partition: dayOf(SITE_A, 4), session: 's-day4' },
      { partition: dayOf(SITE_A, 2), session: 's-night' },
    ]);
    expect([...(await sessionsByDay(database.db, SITE_A, FIRST, FIRST + 10 * DAY))].sort()).toEqual([
      [FIRST + 2 * DAY, 1],
      [FIRST + 3 * DAY, 1],
      [FIRST + 4 * DAY, 1],
    ]);
    const longest = async () => (await database.db.selectFrom('fullsession_longest_sessions').select(['customer_id', 'site_id', 'longest_ms']).execute()).map((row) => ({ customerId: row.customer_id, siteId: row.site_id, longest_ms: Number(row.longest_ms) }));
    expect(await longest()).toEqual([{ ...SITE_A, longest_ms: 3 * HOUR }]);
    // The same page again writes nothing; a shorter session leaves the longest as it was.
    expect(await upsertPage(database.db, SITE_A.customerId, SITE_A.siteId, page)).toBe(0);
    expect(await upsertPage(database.db, SITE_A.customerId, SITE_A.siteId, [session('s-short', FIRST + 5 * DAY, FIRST + 5 * DAY + 10)])).toBe(1);
    expect(await longest()).toEqual([{ ...SITE_A, longest_ms: 3 * HOUR }]);
    // A session whose end moved (it went on) is rewritten in place, under its start.
    expect(await upsertPage(database.db, SITE_A.customerId, SITE_A.siteId, [session('s-day4', FIRST + 4 * DAY, FIRST + 4 * DAY + 5 * HOUR)])).toBe(1);
    expect(await longest()).toEqual([{ ...SITE_A, longest_ms: 5 * HOUR }]);
    expect(await countSessions(database.db, SITE_A)).toBe(4);
  });

  it('readers by end time read only the partitions where those sessions started: back from their range by the longest session (EXPLAIN)', async () => {
    // The longest session of site A is 5 hours: sessions that ended on day 3 started on day 2 or 3.
    const days23 = [dayOf(SITE_A, 2), dayOf(SITE_A, 3)];
    const range = { from: FIRST + 3 * DAY, to: FIRST + 4 * DAY };
    // coverage's counts by day
    expect(await partitionsRead(() => sessionsByDay(logged, SITE_A, range.from, range.to))).toEqual([days23]);
    // MCP search_sessions and count_sessions
    expect(await partitionsRead(() => searchSessions(logged, CONFIG_A, range, {}, 10, null))).toEqual([days23]);
    expect((await searchSessions(database.db, CONFIG_A, range, {}, 10, null)).sessions.map((found) => found.sessionId)).toEqual(['s-night']);
    expect(await partitionsRead(() => countByGroup(logged, CONFIG_A, range, 'device'))).toEqual([days23]);
    // status: every partition of the site, none of another site's.
    const [ofSite] = await partitionsRead(() => countSessions(logged, SITE_A));
    expect(ofSite).toContain(dayOf(SITE_A, 0));
    expect(ofSite!.some((name) => name.startsWith(dayOf(SITE_B, 0).slice(0, -8)))).toBe(false);
    // MCP get_session by id alone: the site's partitions, through their session-id index.
    const [byId] = await partitionsRead(() => getSession(logged, CONFIG_A, 's-night', 1, 0));
    expect(byId!.some((name) => name.startsWith(dayOf(SITE_B, 0).slice(0, -8)))).toBe(false);
    expect(await getSession(database.db, CONFIG_A, 's-night', 1, 0)).toMatchObject({ sessionId: 's-night', startedAt: new Date(FIRST + 3 * DAY - HOUR).toISOString() });
  });

  it('a session whose start changed would be stored under both starts (FullSession never changes one: docs/scale.md), and the query in docs/scale.md finds it', async () => {
    await upsertPage(database.db, SITE_A.customerId, SITE_A.siteId, [session('s-day2', FIRST + 2 * DAY + 30 * 60_000, FIRST + 2 * DAY + 2 * HOUR)]);
    const twice = await sql<{ session_id: string; starts: number }>`
      select session_id, count(*)::int as starts from fullsession_sessions
      where customer_id = ${SITE_A.customerId} and site_id = ${SITE_A.siteId} group by session_id having count(*) > 1`.execute(database.db);
    expect(twice.rows).toEqual([{ session_id: 's-day2', starts: 2 }]);
  });
});

describe('the migration that partitions a filled fullsession_sessions', () => {
  let database: TestDatabase;
  const BEFORE = '20261207000000_partitioned_fullstory_events';
  const rowsText = async () => (await sql<{ row: string }>`select to_jsonb(t)::text as row from fullsession_sessions t order by session_id`.execute(database.db)).rows.map((row) => row.row);
  let before: string[];

  beforeAll(async () => {
    database = await createTestDatabase(false);
    const migrated = await new Migrator({ db: database.db, provider: { getMigrations: async () => migrations } }).migrateTo(BEFORE);
    expect(migrated.error).toBeUndefined();
    // As the release before wrote them.
    for (const [siteId, record] of [['site-a', session('s-1', FIRST, FIRST + HOUR)], ['site-a', session('s-2', FIRST + DAY, FIRST + DAY + 2 * HOUR)], ['site-b', session('s-3', FIRST + DAY, FIRST + DAY + 1000)]] as const) {
      await sql`insert into fullsession_sessions (customer_id, site_id, session_id, start_time, end_time, payload)
                values ('cust-1', ${siteId}, ${record.sessionId}, ${new Date(record.startTime)}, ${new Date(record.endTime)}, ${JSON.stringify(record.payload)})`.execute(database.db);
    }
    before = await rowsText();
    await migrateToLatest(database.db, silentLogger);
  });
  afterAll(() => database?.drop());

  it('keeps the table whole as the partition of every start before a cutover a week ahead, its indexes attached, not rebuilt', async () => {
    expect(await rowsText()).toEqual(before);
    const layout = await sql<{ name: string; bound: string | null; indexes: string }>`
      select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound,
        (select string_agg(i.indexrelid::regclass::text, ' ' order by i.indexrelid::regclass::text) from pg_index i where i.indrelid = c.oid) as indexes
      from pg_partition_tree('fullsession_sessions') t join pg_class c on c.oid = t.relid order by t.level, c.relname`.execute(database.db);
    const cutover = (await database.db.selectFrom('sync_partitions').select('range_end').where('partition_name', '=', 'fullsession_sessions_legacy').executeTakeFirstOrThrow()).range_end;
    expect(cutover.getTime()).toBeGreaterThan(Date.now() + 6 * DAY);
    const at = cutover.toISOString().replace('T', ' ').replace('.000Z', '+00');
    expect(layout.rows).toEqual([
      { name: 'fullsession_sessions', bound: null, indexes: 'fullsession_sessions_pkey fullsession_sessions_site_end fullsession_sessions_site_session' },
      {
        name: 'fullsession_sessions_by_site',
        bound: `FOR VALUES FROM ('${at}') TO (MAXVALUE)`,
        indexes: 'fullsession_sessions_by_site_customer_id_site_id_end_time_s_idx fullsession_sessions_by_site_customer_id_site_id_session_id_idx fullsession_sessions_by_site_pkey',
      },
      { name: 'fullsession_sessions_legacy', bound: `FOR VALUES FROM (MINVALUE) TO ('${at}')`, indexes: 'fullsession_sessions_legacy_pkey fullsession_sessions_legacy_site_end fullsession_sessions_legacy_site_session' },
    ]);
    const longest = await database.db.selectFrom('fullsession_longest_sessions').select(['site_id', 'longest_ms']).orderBy('site_id').execute();
    expect(longest.map((row) => [row.site_id, Number(row.longest_ms)])).toEqual([
      ['site-a', 2 * HOUR],
      ['site-b', 1000],
    ]);
  });

  it("the release before's upsert is refused before it writes anything (its workers retry, on this release's); this release's rewrites nothing unchanged and puts new starts in per-site partitions", async () => {
    await expect(
      sql`insert into fullsession_sessions (customer_id, site_id, session_id, start_time, end_time, payload)
          values ('cust-1', 'site-a', 's-9', now(), now(), '{}') on conflict (customer_id, site_id, session_id) do nothing`.execute(database.db),
    ).rejects.toThrow('there is no unique or exclusion constraint matching the ON CONFLICT specification');
    expect(await upsertPage(database.db, 'cust-1', 'site-a', [session('s-1', FIRST, FIRST + HOUR)])).toBe(0);
    const later = Date.parse('2030-01-01T00:00:00Z');
    await new SitePartitions(database.db).ensure(FULLSESSION_SESSIONS_TABLE, SITE_A, '1d', { start: later, end: later + DAY });
    expect(await upsertPage(database.db, 'cust-1', 'site-a', [session('s-1', FIRST, FIRST + HOUR, { device: 'phone' }), session('s-4', later, later + 1000)])).toBe(2);
    expect(await partitionsOf(database.db)).toEqual([
      { partition: 'fullsession_sessions_legacy', session: 's-1' },
      { partition: 'fullsession_sessions_legacy', session: 's-2' },
      { partition: 'fullsession_sessions_legacy', session: 's-3' },
      { partition: partitionName(FULLSESSION_SESSIONS_TABLE, SITE_A, later), session: 's-4' },
    ]);
  });
});
