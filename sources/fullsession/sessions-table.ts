import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { CopyIn } from '../../db/copy-transaction.js';
import type { FullSessionRecord } from './session-record.js';
import type { Database } from '../../db/database.js';
import type { StreamKey } from '../../workflows/stream-key.js';
import { copyNewSessions } from './new-sessions-copy.js';
import { PAGE_COLUMN_TYPES, PAGE_COLUMNS, pageCopyText } from './page-copy-text.js';
import { longestOf, raiseLongestSession, sessionsEndedIn } from './longest-sessions.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Inserts new sessions and rewrites existing ones only when their payload
 * changed, so re-fetching a page costs no writes. Returns how many rows were
 * inserted or changed. Records must have distinct session ids. A session is
 * keyed by its start as well (the table is partitioned by it), which
 * FullSession never changes; one whose start did change would be stored
 * again under the new start (docs/scale.md). Raises the site's longest
 * session in the same transaction. `trx` and `copyIn` are one transaction on
 * one connection (db/copy-transaction.ts). A page of sessions all new goes
 * by COPY straight into the table (new-sessions-copy.ts); any other is merged.
 *
 * @example await transactionWithCopy(db, (trx, copyIn) => upsertSessions(trx, copyIn, 'cust', 'site', records))
 */
export async function upsertSessions(trx: Transaction<Database>, copyIn: CopyIn, customerId: string, siteId: string, records: FullSessionRecord[]): Promise<number> {
  if (records.length === 0) return 0;
  const site = { customerId, siteId };
  if (await copyNewSessions(trx, copyIn, site, records)) return records.length;
  return mergeSessions(trx, copyIn, site, records);
}

/** The page staged, then merged: new sessions inserted, stored ones rewritten only where their payload changed. */
async function mergeSessions(trx: Transaction<Database>, copyIn: CopyIn, site: Pick<StreamKey, 'customerId' | 'siteId'>, records: FullSessionRecord[]): Promise<number> {
  await stagePage(trx, copyIn, records);
  const result = await sql`
    with longest as (${raiseLongestSession(site, longestOf(records))})
    insert into fullsession_sessions (customer_id, site_id, ${sql.join(PAGE_COLUMNS.map((c) => sql.ref(c)))})
    select ${site.customerId}, ${site.siteId}, ${sql.join(PAGE_COLUMNS.map((c) => sql.ref(c)))}
    from fullsession_staging
    on conflict (customer_id, site_id, start_time, session_id) do update set
      ${sql.join(UPDATED_COLUMNS.map((c) => sql`${sql.ref(c)} = excluded.${sql.ref(c)}`))},
      last_synced_at = now()
    where fullsession_sessions.payload is distinct from excluded.payload
  `.execute(trx);
  return Number(result.numAffectedRows ?? 0n);
}

/**
 * The page in `fullsession_staging`, a temporary table of the connection
 * that each commit empties, by COPY: Postgres reads COPY's text for a
 * third less CPU than the page as one JSON document (json_to_recordset,
 * before; docs/benchmarks.md). Made once per connection, not per page, so
 * the catalog does not churn.
 */
async function stagePage(trx: Transaction<Database>, copyIn: CopyIn, records: FullSessionRecord[]): Promise<void> {
  await sql.raw(`create temp table if not exists fullsession_staging (${PAGE_COLUMNS.map((c) => `${c} ${PAGE_COLUMN_TYPES[c]}`).join(', ')}) on commit delete rows`).execute(trx);
  await copyIn(`copy fullsession_staging (${PAGE_COLUMNS.join(', ')}) from stdin`, pageCopyText(records));
}

const UPDATED_COLUMNS = PAGE_COLUMNS.filter((column) => column !== 'session_id' && column !== 'start_time');

/** How many sessions of a site the table holds. */
export async function countSessions(db: Db, site: Pick<StreamKey, 'customerId' | 'siteId'>): Promise<number> {
  const row = await db.selectFrom('fullsession_sessions').select(sql<string>`count(*)`.as('count')).where('customer_id', '=', site.customerId).where('site_id', '=', site.siteId).executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Sessions of a site by the UTC hour they ended in, over [from, to): the traffic the budget planner works from. */
export async function sessionsByHour(db: Db, site: Pick<StreamKey, 'customerId' | 'siteId'>, from: number, to: number): Promise<Array<{ hourStart: number; sessions: number }>> {
  const rows = await countEndedBy(db, site, from, to, sql<number>`extract(epoch from date_trunc('hour', end_time at time zone 'UTC') at time zone 'UTC') * 1000`);
  return rows.map((row) => ({ hourStart: Number(row.key), sessions: row.sessions }));
}

/** Sessions of a site by the UTC day they ended in, over [from, to): what `coverage` counts. */
export async function sessionsByDay(db: Db, site: Pick<StreamKey, 'customerId' | 'siteId'>, from: number, to: number): Promise<Map<number, number>> {
  const rows = await countEndedBy(db, site, from, to, sql<number>`extract(epoch from date_trunc('day', end_time at time zone 'UTC') at time zone 'UTC') * 1000`);
  return new Map(rows.map((row) => [row.key, row.sessions]));
}

/** Sessions of a site that ended in [from, to), by their duration in whole minutes (longer than a day counted at a day). */
export async function sessionsByDurationMinutes(db: Db, site: Pick<StreamKey, 'customerId' | 'siteId'>, from: number, to: number): Promise<Array<{ minutes: number; sessions: number }>> {
  const rows = await countEndedBy(db, site, from, to, sql<number>`least(floor(extract(epoch from end_time - start_time) / 60), 1440)`);
  return rows.map((row) => ({ minutes: Number(row.key), sessions: row.sessions }));
}

/** Sessions of a site that ended in [from, to), counted by `key`. */
async function countEndedBy(db: Db, site: Pick<StreamKey, 'customerId' | 'siteId'>, from: number, to: number, key: RawBuilder<number>): Promise<Array<{ key: number; sessions: number }>> {
  const rows = await (await sessionsEndedIn(db, site, { from, to }))
    .select([key.as('key'), sql<string>`count(*)`.as('n')])
    .groupBy('key')
    .execute();
  return rows.map((row) => ({ key: Number(row.key), sessions: Number(row.n) }));
}
