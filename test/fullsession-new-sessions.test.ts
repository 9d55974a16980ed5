import pg from 'pg';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transactionWithCopy } from '../db/copy-transaction.js';
import type { Database } from '../db/database.js';
import { FULLSESSION_SESSIONS_TABLE, SitePartitions } from '../db/site-partitions.js';
import { parseSessionRecord, type FullSessionRecord } from '../sources/fullsession/session-record.js';
import { upsertSessions } from '../sources/fullsession/sessions-table.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const FIRST = Date.parse('2026-10-01T00:00:00Z');
const CUSTOMER = 'cust-1';

function session(id: string, startTime: number, endTime: number, extra: Record<string, unknown> = {}): FullSessionRecord {
  const parsed = parseSessionRecord({ uuid: id, startTime, endTime, ...extra });
  if (!parsed.ok) throw new Error(parsed.reject.reason);
  return parsed.record;
}

/** A page upserted in a transaction of its own, with the tables its COPYs went into. */
async function upsertRecorded(db: Kysely<Database>, siteId: string, records: FullSessionRecord[]): Promise<{ written: number; copiedInto: string[] }> {
  const copiedInto: string[] = [];
  const written = await transactionWithCopy(db, (trx, copyIn) =>
    upsertSessions(
      trx,
      (statement, lines) => {
        copiedInto.push(statement.split(' ')[1]!);
        return copyIn(statement, lines);
      },
      CUSTOMER,
      siteId,
      records,
    ),
  );
  return { written, copiedInto };
}

/** A site's rows as text, without the columns that name the site or the moment of the write. */
async function rowsOf(db: Kysely<Database>, siteId: string): Promise<string[]> {
  const { rows } = await sql<{ row: string }>`
    select (to_jsonb(t) - 'customer_id' - 'site_id' - 'last_synced_at' - 'first_synced_at')::text as row
    from fullsession_sessions t where customer_id = ${CUSTOMER} and site_id = ${siteId} order by session_id`.execute(db);
  return rows.map((row) => row.row);
}

const longestOf = async (db: Kysely<Database>, siteId: string) =>
  Number((await db.selectFrom('fullsession_longest_sessions').select('longest_ms').where('customer_id', '=', CUSTOMER).where('site_id', '=', siteId).executeTakeFirst())?.longest_ms ?? 0);

describe('a page of sessions new to the table goes by COPY straight into fullsession_sessions', () => {
  let database: TestDatabase;
  const page = [
    session('s-1', FIRST + HOUR, FIRST + 2 * HOUR, { device: 'Desktop', pages: [{ url: 'https://shop.example/a\tb' }] }),
    session('s-2', FIRST + 3 * HOUR, FIRST + 6 * HOUR, { city: 'Zürich\\n', note: 'line one\nline two' }),
    session('s-3', FIRST + DAY + HOUR, FIRST + DAY + HOUR + 1_000, { userId: 'u-7', payloadNul: 'a\u0000b' }),
  ];

  beforeAll(async () => {
    database = await createTestDatabase();
    for (const siteId of ['site-a', 'site-b', 'site-race']) await new SitePartitions(database.db).ensure(FULLSESSION_SESSIONS_TABLE, { customerId: CUSTOMER, siteId }, '1d', { start: FIRST, end: FIRST + 3 * DAY });
  });
  afterAll(() => database?.drop());

  it('stores exactly the rows the merge stores, and raises the longest session', async () => {
    expect(await upsertRecorded(database.db, 'site-a', page)).toEqual({ written: 3, copiedInto: ['fullsession_sessions'] });
    // Site b holds a session that starts within the page's starts: the page is merged.
    await upsertRecorded(database.db, 'site-b', [session('s-0', FIRST + 2 * HOUR, FIRST + 2 * HOUR + 1)]);
    expect(await upsertRecorded(database.db, 'site-b', page)).toEqual({ written: 3, copiedInto: ['fullsession_staging'] });
    await sql`delete from fullsession_sessions where site_id = 'site-b' and session_id = 's-0'`.execute(database.db);
    expect(await rowsOf(database.db, 'site-a')).toEqual(await rowsOf(database.db, 'site-b'));
    expect((await rowsOf(database.db, 'site-a')).length).toBe(3);
    expect(await longestOf(database.db, 'site-a')).toBe(3 * HOUR);
  });

  it('the same page again is merged and rewrites nothing; a session of it changed is rewritten alone', async () => {
    const xmins = async () => (await sql<{ x: string }>`select xmin::text as x from fullsession_sessions where site_id = 'site-a' order by session_id`.execute(database.db)).rows.map((row) => row.x);
    const before = await xmins();
    expect(await upsertRecorded(database.db, 'site-a', page)).toEqual({ written: 0, copiedInto: ['fullsession_staging'] });
    expect(await xmins()).toEqual(before);
    const changed = [page[0]!, session('s-2', FIRST + 3 * HOUR, FIRST + 7 * HOUR, { city: 'Basel' }), page[2]!];
    expect(await upsertRecorded(database.db, 'site-a', changed)).toEqual({ written: 1, copiedInto: ['fullsession_staging'] });
    expect(await longestOf(database.db, 'site-a')).toBe(4 * HOUR);
  });

  it('a session another transaction wrote after the look makes the COPY give way to the merge: no error, nothing lost, nothing twice', async () => {
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    try {
      await other.query('begin');
      await other.query(`insert into fullsession_sessions (customer_id, site_id, session_id, start_time, end_time, payload) values ($1, 'site-race', 's-2', $2, $3, '{"uuid":"s-2","stale":true}')`, [CUSTOMER, new Date(FIRST + 3 * HOUR), new Date(FIRST + 4 * HOUR)]);
      // The page's look sees nothing (not committed); its COPY waits on s-2's key until the other commits.
      const upsert = upsertRecorded(database.db, 'site-race', page);
      await waitUntilBlocked(database.db);
      await other.query('commit');
      expect(await upsert).toEqual({ written: 3, copiedInto: ['fullsession_sessions', 'fullsession_staging'] });
    } finally {
      await other.end();
    }
    expect(await rowsOf(database.db, 'site-race')).toEqual(await rowsOf(database.db, 'site-b'));
  });
});

/** Until some backend waits on a transaction's lock: the COPY, on the other's uncommitted key. */
async function waitUntilBlocked(db: Kysely<Database>): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and wait_event = 'transactionid'`.execute(db);
    if (rows[0]!.n > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the COPY never waited on the other transaction');
}
