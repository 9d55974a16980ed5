import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { RejectedRecord } from '../sources/fullsession/session-record.js';
import type { Database } from './database.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Stores records the API sent that cannot be stored as sessions, with the
 * reason and the raw value. A re-fetched page does not add them twice.
 *
 * @example await insertRejects(trx, 'cust', 'site', rejects)
 */
export async function insertRejects(db: Db, customerId: string, siteId: string, rejects: RejectedRecord[]): Promise<void> {
  if (rejects.length === 0) return;
  await db
    .insertInto('fullsession_rejects')
    .values(
      rejects.map((reject) => {
        const raw = JSON.stringify(reject.raw ?? null);
        return {
          customer_id: customerId,
          site_id: siteId,
          session_id: reject.sessionId,
          reason: reject.reason,
          raw,
          raw_sha256: createHash('sha256').update(raw).digest('hex'),
        };
      }),
    )
    .onConflict((oc) => oc.doNothing())
    .execute();
}
