import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SiteConfig } from '../config/site-config.js';
import type { Database } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { searchSessions, type SessionCursor } from '../read-model/session-queries.js';
import { deriveSessionsOfNewWindow, refreshTouchedSessions } from '../sources/fullstory/sessions-table.js';
import { migrateToBeforePartitions } from './support/schema-before-partitions.js';
import { silentLogger } from './support/silent-logger.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const DAY = 86_400_000;
const DAY_1 = Date.parse('2026-11-10T00:00:00Z');
const DAY_2 = DAY_1 + DAY;
const ORG = 'o-kept-na1';
const TARGET = { orgId: ORG, stream: 'events' };
const DAY_3 = DAY_2 + DAY;
const SESSION_START: Record<string, string> = { s1: '2026-11-10T09:59:30.000Z', s3: '2026-11-11T19:59:00.000Z' };

/**
 * A database of the release before partitioned sessions: its events carry no
 * session key and its sessions table is one table. s1's and s3's events
 * name their session's start; s2's name none and span midnight.
 */
const EVENTS: Array<{ session: string; at: number; page: string }> = [
  { session: 's1', at: DAY_1 + 10 * 3_600_000, page: 'p1' },
  { session: 's1', at: DAY_1 + 10 * 3_600_000 + 300_000, page: 'p2' },
  { session: 's2', at: DAY_2 - 600_000, page: 'p1' },
  { session: 's2', at: DAY_2 + 600_000, page: 'p2' },
  { session: 's3', at: DAY_2 + 20 * 3_600_000, page: 'p1' },
  { session: 's3', at: DAY_2 + 21 * 3_600_000, page: 'p2' },
];

function rawOf(session: string, at: number, page: string): string {
  return JSON.stringify({ UserId: 'u1', SessionId: session, PageId: page, EventStart: new Date(at).toISOString(), ...(SESSION_START[session] ? { SessionStart: SESSION_START[session] } : {}) });
}

async function insertOldEvent(db: Kysely<Database>, session: string, at: number, page: string): Promise<void> {
  const raw = rawOf(session, at, page);
  await sql`
    insert into fullstory_events (org_id, stream, event_start, row_sha256, occurrence, user_id, session_id, page_id, raw)
    values (${ORG}, 'events', ${new Date(at)}, md5(${raw}), 1, 'u1', ${session}, ${page}, ${raw})`.execute(db);
}

/** The release before's row of a session: its figures from all its events, keyed by user and session alone. */
async function insertOldSession(db: Kysely<Database>, session: string): Promise<void> {
  const times = EVENTS.filter((event) => event.session === session).map((event) => event.at);
  await sql`
    insert into fullstory_sessions (org_id, stream, user_id, session_id, session_start, session_end, page_count, event_count)
    values (${ORG}, 'events', 'u1', ${session}, ${new Date(Math.min(...times))}, ${new Date(Math.max(...times))}, ${times.length}, ${times.length})`.execute(db);
}

type SessionRow = { session_id: string; started_at: string; event_count: number; session_start: string; session_end: string };
async function sessionRows(db: Kysely<Database>): Promise<SessionRow[]> {
  const { rows } = await sql<SessionRow>`
    select session_id, (started_at at time zone 'UTC')::text as started_at, event_count,
      (session_start at time zone 'UTC')::text as session_start, (session_end at time zone 'UTC')::text as session_end
    from fullstory_sessions where org_id = ${ORG} order by session_id, started_at`.execute(db);
  return rows;
}

describe('fullstory_sessions of a database the release before filled', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(false);
    await migrateToBeforePartitions(database.db);
    for (const event of EVENTS) await insertOldEvent(database.db, event.session, event.at, event.page);
    for (const session of ['s1', 's2', 's3']) await insertOldSession(database.db, session);
    await migrateToLatest(database.db, silentLogger);
  });
  afterAll(() => database?.drop());

  it('is kept whole, not rewritten: the old table is the partition of keys before the cutover, its rows keyed -infinity', async () => {
    const layout = await sql<{ name: string; bound: string }>`
      select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'fullstory_sessions'::regclass order by 1`.execute(database.db);
    expect(layout.rows.map((row) => row.name)).toEqual(['fullstory_sessions_by_site', 'fullstory_sessions_legacy']);
    expect(layout.rows[1]!.bound).toMatch(/^FOR VALUES FROM \(MINVALUE\) TO \('/);
    expect((await sql<{ key: string }>`select pg_get_partkeydef('fullstory_sessions_by_site'::regclass) as key`.execute(database.db)).rows[0]!.key).toBe('RANGE (org_id, stream, started_at)');
    expect((await sessionRows(database.db)).map((row) => [row.session_id, row.started_at, row.event_count])).toEqual([
      ['s1', '-infinity', 2],
      ['s2', '-infinity', 2],
      ['s3', '-infinity', 2],
    ]);
    // Readers by end time find them: the key -infinity is asked for by itself.
    const site = { source: 'fullstory', customerId: ORG, siteId: 'events' } as SiteConfig;
    const found = await searchSessions(database.db, site, { from: DAY_1, to: DAY_2 + DAY }, {}, 10, null);
    expect(found.sessions.map((session) => session.sessionId)).toEqual(['u1:s1', 'u1:s2', 'u1:s3']);
  });

  it('a load that touches a kept session replaces its row with keyed ones, derived from all its events', async () => {
    // A re-export of day 2 brings a late event of s2, and one of s1 (whose events name its start).
    await database.db.transaction().execute(async (trx) => {
      const late = [
        { session: 's2', at: DAY_2 + 1_200_000, page: 'p3', key: new Date(DAY_2) },
        { session: 's1', at: DAY_1 + 11 * 3_600_000, page: 'p3', key: new Date(SESSION_START['s1']!) },
      ];
      for (const event of late) {
        const raw = rawOf(event.session, event.at, event.page);
        await sql`
          insert into fullstory_events (org_id, stream, event_start, row_sha256, occurrence, user_id, session_id, page_id, session_started_at, raw)
          values (${ORG}, 'events', ${new Date(event.at)}, md5(${raw}), 1, 'u1', ${event.session}, ${event.page}, ${event.key}, ${raw})`.execute(trx);
      }
      await sql`create temp table fullstory_touched on commit drop as select * from (values ('u1', 's2', ${new Date(DAY_2)}::timestamptz), ('u1', 's1', ${new Date(SESSION_START['s1']!)}::timestamptz)) t(user_id, session_id, started_at)`.execute(trx);
      await refreshTouchedSessions(trx, TARGET, { start: DAY_2, end: DAY_2 + DAY });
    });
    // s2's events name no start: each day's are a session of their own, keyed by the day.
    expect((await sessionRows(database.db)).map((row) => [row.session_id, row.started_at, row.event_count, row.session_start, row.session_end])).toEqual([
      ['s1', '2026-11-10 09:59:30', 3, '2026-11-10 10:00:00', '2026-11-10 11:00:00'],
      ['s2', '2026-11-10 00:00:00', 1, '2026-11-10 23:50:00', '2026-11-10 23:50:00'],
      ['s2', '2026-11-11 00:00:00', 2, '2026-11-11 00:10:00', '2026-11-11 00:20:00'],
      ['s3', '-infinity', 2, '2026-11-11 20:00:00', '2026-11-11 21:00:00'],
    ]);
  });

  it('search_sessions pages through keyed and kept sessions together, in end order', async () => {
    const site = { source: 'fullstory', customerId: ORG, siteId: 'events' } as SiteConfig;
    const seen: string[][] = [];
    let cursor: SessionCursor | null = null;
    for (let page = 0; page < 10; page += 1) {
      const found = await searchSessions(database.db, site, { from: DAY_1, to: DAY_3 + DAY }, {}, 1, cursor);
      seen.push(...found.sessions.map((session) => [session.sessionId, session.endedAt]));
      if (!found.more) break;
      const last = found.sessions.at(-1)!;
      cursor = { endMs: Date.parse(last.endedAt), id: last.sessionId };
    }
    expect(seen).toEqual([
      ['u1:s1', '2026-11-10T11:00:00.000Z'],
      ['u1:s2', '2026-11-10T23:50:00.000Z'],
      ['u1:s2', '2026-11-11T00:20:00.000Z'],
      ['u1:s3', '2026-11-11T21:00:00.000Z'],
    ]);
  });

  it("a new window's load of a kept session's events replaces its row too, though its key was new", async () => {
    await database.db.transaction().execute(async (trx) => {
      const at = DAY_3 + 3_600_000;
      const raw = rawOf('s3', at, 'p3');
      await sql`
        insert into fullstory_events (org_id, stream, event_start, row_sha256, occurrence, user_id, session_id, page_id, session_started_at, raw)
        values (${ORG}, 'events', ${new Date(at)}, md5(${raw}), 1, 'u1', 's3', 'p3', ${new Date(SESSION_START['s3']!)}, ${raw})`.execute(trx);
      await deriveSessionsOfNewWindow(trx, TARGET, { start: DAY_3, end: DAY_3 + DAY });
    });
    expect((await sessionRows(database.db)).filter((row) => row.session_id === 's3').map((row) => [row.started_at, row.event_count, row.session_start, row.session_end])).toEqual([
      ['2026-11-11 19:59:00', 3, '2026-11-11 20:00:00', '2026-11-12 01:00:00'],
    ]);
  });

  it("refuses the release before's upsert, which a partitioned table cannot serve, before it writes anything", async () => {
    await expect(
      sql`insert into fullstory_sessions (org_id, stream, user_id, session_id, session_start, session_end, page_count, event_count)
          values (${ORG}, 'events', 'u1', 's9', now(), now(), 1, 1)
          on conflict (org_id, stream, user_id, session_id) do nothing`.execute(database.db),
    ).rejects.toThrow('there is no unique or exclusion constraint matching the ON CONFLICT specification');
  });
});
