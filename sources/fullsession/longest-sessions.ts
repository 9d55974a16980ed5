import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../../db/database.js';
import { FULLSESSION_SESSIONS_TABLE } from '../../db/site-partitions.js';
import type { StreamKey } from '../../workflows/stream-key.js';
import type { FullSessionRecord } from './session-record.js';

type Db = Kysely<Database> | Transaction<Database>;
type Site = Pick<StreamKey, 'customerId' | 'siteId'>;

/** Start times of the sessions that ended in a range: the bounds that choose the partitions a reader by end time reads. */
interface StartTimeBounds {
  /** No session that ended in the range started before this. */
  from: Date;
  /** Every session that ended in the range started before this. */
  before: Date;
}

/**
 * fullsession_sessions is partitioned by start time, and its readers ask
 * by end time. A session ends at or after it starts and lasts at most the
 * site's longest session stored, so whatever ended in [from, to) started
 * in [from - longest, to): given to Postgres as constants, the plan reads
 * only those partitions.
 */
async function startTimeBounds(db: Db, site: Site, range: { from: number; to: number }): Promise<StartTimeBounds> {
  const longestMs = await FULLSESSION_SESSIONS_TABLE.longestRowMs!(db, site);
  return { from: new Date(range.from - longestMs), before: new Date(range.to) };
}

/**
 * The site's sessions that ended in [from, to), as a query to select from,
 * bounded by start too so that it reads only their partitions.
 *
 * @example const rows = await (await sessionsEndedIn(db, site, range)).select('session_id').execute()
 */
export async function sessionsEndedIn(db: Db, site: Site, range: { from: number; to: number }) {
  const starts = await startTimeBounds(db, site, range);
  return db
    .selectFrom('fullsession_sessions')
    .where('customer_id', '=', site.customerId)
    .where('site_id', '=', site.siteId)
    .where('start_time', '>=', starts.from)
    .where('start_time', '<', starts.before)
    .where('end_time', '>=', new Date(range.from))
    .where('end_time', '<', new Date(range.to));
}

/** The longest of a page's sessions, in ms. */
export function longestOf(records: readonly FullSessionRecord[]): number {
  return records.reduce((longest, record) => Math.max(longest, record.endTime - record.startTime), 0);
}

/**
 * A statement, for a WITH clause of the write, that raises the site's
 * longest session to `longestMs` if that is longer. It locks the site's
 * row only when it raises it, so pages of one site written at once do not
 * wait on each other.
 */
export function raiseLongestSession(site: Site, longestMs: number): RawBuilder<unknown> {
  return sql`
    insert into fullsession_longest_sessions (customer_id, site_id, longest_ms)
    select ${site.customerId}, ${site.siteId}, ${longestMs}::bigint
    where not exists (select from fullsession_longest_sessions where customer_id = ${site.customerId} and site_id = ${site.siteId} and longest_ms >= ${longestMs}::bigint)
    on conflict (customer_id, site_id) do update set longest_ms = excluded.longest_ms
    where fullsession_longest_sessions.longest_ms < excluded.longest_ms`;
}
