import { sql, type Transaction } from 'kysely';
import type { CopyIn } from '../../db/copy-transaction.js';
import type { Database } from '../../db/database.js';
import type { StreamKey } from '../../workflows/stream-key.js';
import { longestOf, raiseLongestSession } from './longest-sessions.js';
import type { FullSessionRecord } from './session-record.js';
import { PAGE_COLUMNS, pageCopyText } from './page-copy-text.js';

type Site = Pick<StreamKey, 'customerId' | 'siteId'>;

/** Postgres's SQLSTATE for a duplicate key. */
const UNIQUE_VIOLATION = '23505';

/**
 * A page whose sessions are all new to the table, the common case of a
 * backfill, goes by COPY straight into fullsession_sessions: no staging
 * table and no merge, a quarter less of Postgres's CPU a session
 * (docs/benchmarks.md). New is proven, not guessed: the site holds no
 * session that starts within the page's first and last start, and a
 * session is keyed by its start. A session another transaction writes
 * between that look and the COPY makes the COPY fail on its key; the COPY
 * is then undone to a savepoint and false returned, for the caller to
 * merge the page instead. True when the page was written, every session
 * of it a new row.
 *
 * @example if (!(await copyNewSessions(trx, copyIn, site, records))) await mergeSessions(trx, copyIn, site, records)
 */
export async function copyNewSessions(trx: Transaction<Database>, copyIn: CopyIn, site: Site, records: FullSessionRecord[]): Promise<boolean> {
  if (await holdsSessionsStartingWithin(trx, site, records)) return false;
  await sql`savepoint fullsession_new_sessions`.execute(trx);
  try {
    await copyIn(`copy fullsession_sessions (customer_id, site_id, ${PAGE_COLUMNS.join(', ')}) from stdin`, pageCopyText(records, [site.customerId, site.siteId]));
  } catch (error) {
    if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION) throw error;
    await sql`rollback to savepoint fullsession_new_sessions`.execute(trx);
    return false;
  }
  await sql`release savepoint fullsession_new_sessions`.execute(trx);
  await raiseLongestSession(site, longestOf(records)).execute(trx);
  return true;
}

/** Whether the site holds a session that starts within the records' first and last start: one probe of the key's index, in the partitions of that span. */
async function holdsSessionsStartingWithin(trx: Transaction<Database>, site: Site, records: FullSessionRecord[]): Promise<boolean> {
  let first = Infinity;
  let last = -Infinity;
  for (const record of records) {
    first = Math.min(first, record.startTime);
    last = Math.max(last, record.startTime);
  }
  const { rows } = await sql<{ holds: boolean }>`
    select exists (
      select from fullsession_sessions
      where customer_id = ${site.customerId} and site_id = ${site.siteId}
        and start_time >= ${new Date(first)} and start_time <= ${new Date(last)}
    ) as holds`.execute(trx);
  return rows[0]!.holds;
}
