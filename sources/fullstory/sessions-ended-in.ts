import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../db/database.js';
import { SESSION_KEY_REACH_MS } from './session-key.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * The stream's FullStory sessions that ended in [from, to), as a query to
 * select from, bounded by key too so that it reads only their partitions.
 * fullstory_sessions is partitioned by its key (session-key.ts), and its
 * readers ask by end: a session's events, its last included, lie in the
 * reach after its key, so what ended in [from, to) is keyed in
 * [from - reach, to). Rows kept from before keys (-infinity, in the
 * partition the upgrade kept) are asked for by that key alone.
 *
 * @example const rows = await fullStorySessionsEndedIn(db, { orgId: 'o-1', stream: 'events' }, range).select('session_id').execute()
 */
export function fullStorySessionsEndedIn(db: Db, target: { orgId: string; stream: string }, range: { from: number; to: number }) {
  return db
    .selectFrom('fullstory_sessions')
    .where('org_id', '=', target.orgId)
    .where('stream', '=', target.stream)
    .where(sql<boolean>`(started_at >= ${new Date(range.from - SESSION_KEY_REACH_MS)} or started_at = '-infinity'::timestamptz)`)
    .where('started_at', '<', new Date(range.to))
    .where('session_end', '>=', new Date(range.from))
    .where('session_end', '<', new Date(range.to));
}
