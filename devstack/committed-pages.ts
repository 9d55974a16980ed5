import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.js';

/**
 * Pages committed so far according to the checkpoints, optionally of one site
 * and of windows inside [from, to): what tests and the benchmark compare
 * request counts against.
 */
export async function committedPages(db: Kysely<Database>, only: { customerId?: string; siteId?: string; from?: number; to?: number } = {}): Promise<number> {
  let query = db.selectFrom('sync_checkpoints').select(sql<string>`coalesce(sum(pages), 0)`.as('pages'));
  if (only.customerId !== undefined) query = query.where('customer_id', '=', only.customerId);
  if (only.siteId !== undefined) query = query.where('site_id', '=', only.siteId);
  if (only.from !== undefined) query = query.where('window_start', '>=', new Date(only.from));
  if (only.to !== undefined) query = query.where('window_end', '<=', new Date(only.to));
  return Number((await query.executeTakeFirstOrThrow()).pages);
}
