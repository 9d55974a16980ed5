import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { FullSessionRecord } from './session-record.js';
import type { Database } from '../../db/database.js';
import type { StreamKey } from '../../workflows/stream-key.js';
import type { NewSessionRow } from './fullsession-tables.js';
import { longestOf, raiseLongestSession, sessionsEndedIn } from './longest-sessions.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Inserts new sessions and rewrites existing ones only when their payload
 * changed, so re-fetching a page costs no writes. Returns how many rows were
 * inserted or changed. Records must have distinct session ids. A session is
 * keyed by its start as well (the table is partitioned by it), which
 * FullSession never changes; one whose start did change would be stored
 * again under the new start (docs/scale.md). Raises the site's longest
 * session in the same statement.
 *
 * @example await upsertSessions(trx, 'cust', 'site', records)
 */
export async function upsertSessions(db: Db, customerId: string, siteId: string, records: FullSessionRecord[]): Promise<number> {
  if (records.length === 0) return 0;
  // The page travels as ONE json parameter that Postgres unpacks with
  // json_to_recordset: far cheaper to build and bind than 20 parameters per
  // row (the write was 63% of a page's time before; see docs/benchmarks.md).
  const rows = JSON.stringify(records.map(toRow));
  const site = { customerId, siteId };
  const result = await sql`
    with longest as (${raiseLongestSession(site, longestOf(records))})
    insert into fullsession_sessions (customer_id, site_id, ${sql.join(COLUMNS.map((c) => sql.ref(c)))})
    select ${customerId}, ${siteId}, ${sql.join(COLUMNS.map((c) => sql.ref(`r.${c}`)))}
    from json_to_recordset(${rows}::json) as r(${sql.raw(COLUMNS.map((c) => `${c} ${COLUMN_TYPES[c]}`).join(', '))})
    on conflict (customer_id, site_id, start_time, session_id) do update set
      ${sql.join(UPDATED_COLUMNS.map((c) => sql`${sql.ref(c)} = excluded.${sql.ref(c)}`))},
      last_synced_at = now()
    where fullsession_sessions.payload is distinct from excluded.payload
  `.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

/** The columns a page sets, with the types json_to_recordset reads them as. */
const COLUMN_TYPES = {
  session_id: 'text',
  user_id: 'text',
  start_time: 'timestamptz',
  end_time: 'timestamptz',
  duration_ms: 'bigint',
  active_time_ms: 'bigint',
  country: 'text',
  country_code: 'text',
  city: 'text',
  os: 'text',
  browser: 'text',
  browser_full_version: 'text',
  device: 'text',
  referrer: 'text',
  landing_page: 'text',
  exit_page: 'text',
  page_count: 'integer',
  payload: 'jsonb',
  payload_original: 'text',
} as const satisfies Partial<Record<keyof NewSessionRow, string>>;

type PageColumn = keyof typeof COLUMN_TYPES;
const COLUMNS = Object.keys(COLUMN_TYPES) as PageColumn[];
const UPDATED_COLUMNS = COLUMNS.filter((column) => column !== 'session_id' && column !== 'start_time');

function toRow(record: FullSessionRecord): Record<PageColumn, unknown> {
  return {
    session_id: record.sessionId,
    user_id: record.userId,
    start_time: new Date(record.startTime).toISOString(),
    end_time: new Date(record.endTime).toISOString(),
    duration_ms: record.durationMs,
    active_time_ms: record.activeTimeMs,
    country: record.country,
    country_code: record.countryCode,
    city: record.city,
    os: record.os,
    browser: record.browser,
    browser_full_version: record.browserFullVersion,
    device: record.device,
    referrer: record.referrer,
    landing_page: record.landingPage,
    exit_page: record.exitPage,
    page_count: record.pageCount,
    payload: record.payload,
    payload_original: record.payloadOriginal,
  };
}

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
