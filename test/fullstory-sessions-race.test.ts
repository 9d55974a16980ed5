import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.js';
import { FULLSTORY_EVENTS_TABLE, SitePartitions } from '../db/site-partitions.js';
import { deriveSessionsOfNewWindow, refreshTouchedSessions } from '../sources/fullstory/sessions-table.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const DAY = 86_400_000;
const DAY_1 = Date.parse('2026-10-01T00:00:00Z');
const DAY_2 = DAY_1 + DAY;
const ORG = 'o-race-na1';

/** Events of user u1's session s1 that spans midnight, and of one session on each side of it alone. */
const EVENTS: Array<{ at: number; session: string; page: string; url: string }> = [
  { at: DAY_2 - 20 * 60_000, session: 's1', page: 'p1', url: 'https://shop.example/' },
  { at: DAY_2 - 5 * 60_000, session: 's1', page: 'p2', url: 'https://shop.example/cart' },
  { at: DAY_1 + 3_600_000, session: 's0', page: 'p9', url: 'https://shop.example/a' },
  { at: DAY_2 + 10 * 60_000, session: 's1', page: 'p2', url: 'https://shop.example/cart' },
  { at: DAY_2 + 25 * 60_000, session: 's1', page: 'p3', url: 'https://shop.example/checkout' },
  { at: DAY_2 + 7_200_000, session: 's2', page: 'p8', url: 'https://shop.example/b' },
];

/** Each session's start as its events export it: its first event. */
const sessionStart = (session: string) => new Date(Math.min(...EVENTS.filter((event) => event.session === session).map((event) => event.at)));

async function insertEvents(db: Kysely<Database>, stream: string, day: number): Promise<void> {
  for (const [n, event] of EVENTS.entries()) {
    if (event.at < day || event.at >= day + DAY) continue;
    const started = sessionStart(event.session);
    const raw = JSON.stringify({ UserId: 'u1', SessionId: event.session, SessionStart: started.toISOString(), PageId: event.page, PageUrl: event.url, PageDevice: `device-${n}` });
    await sql`
      insert into fullstory_events (org_id, stream, event_start, row_sha256, occurrence, user_id, session_id, page_id, page_url, session_started_at, raw)
      values (${ORG}, ${stream}, ${new Date(event.at)}, md5(${raw}) || md5(${raw}), 1, 'u1', ${event.session}, ${event.page}, ${event.url}, ${started}, ${raw})`.execute(db);
  }
}

/** A window's first load as the loader makes it: its events, then its sessions, in one transaction. */
async function loadDay(db: Kysely<Database>, stream: string, day: number, beforeCommit: () => Promise<void> = async () => {}): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await insertEvents(trx, stream, day);
    await deriveSessionsOfNewWindow(trx, { orgId: ORG, stream }, { start: day, end: day + DAY });
    await beforeCommit();
  });
}

/** A re-export of day 2 that holds one more event of s1, merged as the loader merges it: the event, then its session. */
async function reexportDayTwo(db: Kysely<Database>, stream: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const started = sessionStart('s1');
    const raw = JSON.stringify({ UserId: 'u1', SessionId: 's1', SessionStart: started.toISOString(), PageId: 'p4', PageUrl: 'https://shop.example/thanks', PageDevice: 'device-late' });
    await sql`
      insert into fullstory_events (org_id, stream, event_start, row_sha256, occurrence, user_id, session_id, page_id, page_url, session_started_at, raw)
      values (${ORG}, ${stream}, ${new Date(DAY_2 + 40 * 60_000)}, md5(${raw}) || md5(${raw}), 1, 'u1', 's1', 'p4', 'https://shop.example/thanks', ${started}, ${raw})`.execute(trx);
    await sql`create temp table fullstory_touched on commit drop as select 'u1'::text as user_id, 's1'::text as session_id, ${started}::timestamptz as started_at`.execute(trx);
    await refreshTouchedSessions(trx, { orgId: ORG, stream }, { start: DAY_2, end: DAY_2 + DAY });
  });
}

/** A stream's session rows, without the columns that name the stream or the moment of the write. */
async function sessionsOf(db: Kysely<Database>, stream: string): Promise<string[]> {
  const { rows } = await sql<{ row: string }>`
    select (to_jsonb(s) - 'org_id' - 'stream' - 'updated_at')::text as row
    from fullstory_sessions s where org_id = ${ORG} and stream = ${stream} order by session_id`.execute(db);
  return rows.map((row) => row.row);
}

/** Until some backend waits on a lock another transaction holds: the second load, on the first. */
async function waitUntilBlocked(db: Kysely<Database>): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock'`.execute(db);
    if (rows[0]!.n > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('no load waited on the other transaction');
}

describe("a window's sessions when another window's load writes the same session at the same time", () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
    for (const stream of ['one-by-one', 'at-once', 'reexport-one-by-one', 'reexport-at-once']) {
      await new SitePartitions(database.db).ensure(FULLSTORY_EVENTS_TABLE, { customerId: ORG, siteId: stream }, '1d', { start: DAY_1, end: DAY_2 + DAY });
    }
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('a session both loads found new is derived from the events of both, as loads one after the other derive it', async () => {
    await loadDay(database.db, 'one-by-one', DAY_1);
    await loadDay(database.db, 'one-by-one', DAY_2);
    const oneByOne = await sessionsOf(database.db, 'one-by-one');
    expect(oneByOne.map((row) => JSON.parse(row) as Record<string, unknown>).map((row) => [row['session_id'], row['event_count'], row['page_count'], row['entry_url'], row['exit_url']])).toEqual([
      ['s0', 1, 1, 'https://shop.example/a', 'https://shop.example/a'],
      ['s1', 4, 3, 'https://shop.example/', 'https://shop.example/checkout'],
      ['s2', 1, 1, 'https://shop.example/b', 'https://shop.example/b'],
    ]);

    // Day 1's load holds its transaction open with s1 written; day 2's, started then, sees no row of
    // s1 and waits on its key until day 1's commits.
    let dayTwo: Promise<void> | undefined;
    await loadDay(database.db, 'at-once', DAY_1, async () => {
      dayTwo = loadDay(database.db, 'at-once', DAY_2);
      await waitUntilBlocked(database.db);
    });
    await dayTwo;
    expect(await sessionsOf(database.db, 'at-once')).toEqual(oneByOne);
  });

  it('a re-export of one window while another window of the same session loads keeps the events of both', async () => {
    for (const stream of ['reexport-one-by-one', 'reexport-at-once']) await loadDay(database.db, stream, DAY_2);
    await loadDay(database.db, 'reexport-one-by-one', DAY_1);
    await reexportDayTwo(database.db, 'reexport-one-by-one');
    const oneByOne = await sessionsOf(database.db, 'reexport-one-by-one');
    expect(oneByOne.map((row) => JSON.parse(row) as Record<string, unknown>).filter((row) => row['session_id'] === 's1').map((row) => [row['event_count'], row['page_count'], row['exit_url']])).toEqual([[5, 4, 'https://shop.example/thanks']]);

    // Day 1's first load holds its transaction open with s1 derived again from both days; the
    // re-export of day 2, started then, read s1's row as it was before.
    let reexport: Promise<void> | undefined;
    await loadDay(database.db, 'reexport-at-once', DAY_1, async () => {
      reexport = reexportDayTwo(database.db, 'reexport-at-once');
      await waitUntilBlocked(database.db);
    });
    await reexport;
    expect(await sessionsOf(database.db, 'reexport-at-once')).toEqual(oneByOne);
  });
});
