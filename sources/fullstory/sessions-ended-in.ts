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
 * partition the upgrade kept) are asked for by that key on their own: one
 * condition with both would leave Postgres unable to prune by the lower
 * bound (test/partitions.test.ts).
 *
 * @example const rows = await fullStorySessionsEndedIn(db, { orgId: 'o-1', stream: 'events' }, range).select('session_id').execute()
 */
export function fullStorySessionsEndedIn(db: Db, target: { orgId: string; stream: string }, range: { from: number; to: number }) {
  const ofStream = () => db.selectFrom('fullstory_sessions').selectAll().where('org_id', '=', target.orgId).where('stream', '=', target.stream);
  const keyed = ofStream().where('started_at', '>=', new Date(range.from - SESSION_KEY_REACH_MS)).where('started_at', '<', new Date(range.to));
  const kept = ofStream().where('started_at', '=', sql<Date>`'-infinity'::timestamptz`);
  return db
    .selectFrom(keyed.unionAll(kept).as('fullstory_sessions'))
    .where('session_end', '>=', new Date(range.from))
    .where('session_end', '<', new Date(range.to));
}
