import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { RejectedRecord } from './session-record.js';
import type { Database } from '../../db/database.js';
import { boundedJsonText, storableText, toStorableJson } from '../../db/storable-values.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Stores records the API sent that cannot be stored as sessions, with the
 * reason and the raw value. A re-fetched page does not add them twice. Any
 * record can be stored here: the raw value is made storable first (see
 * db/storable-values.ts), with the exact original kept as JSON text.
 *
 * @example await insertRejects(trx, 'cust', 'site', rejects)
 */
export async function insertRejects(db: Db, customerId: string, siteId: string, rejects: RejectedRecord[]): Promise<void> {
  if (rejects.length === 0) return;
  await db
    .insertInto('fullsession_rejects')
    .values(
      rejects.map((reject) => {
        const text = boundedJsonText(reject.raw ?? null);
        const raw = toStorableJson(JSON.parse(text));
        return {
          customer_id: customerId,
          site_id: siteId,
          session_id: reject.sessionId === null ? null : storableText(reject.sessionId),
          reason: reject.reason,
          raw: JSON.stringify(raw.value),
          raw_original: raw.original,
          raw_sha256: createHash('sha256').update(text).digest('hex'),
        };
      }),
    )
    .onConflict((oc) => oc.doNothing())
    .execute();
}
