import type { Kysely } from 'kysely';
import { transactionWithCopy } from '../../db/copy-transaction.js';
import type { Database } from '../../db/database.js';
import type { FullSessionRecord } from '../../sources/fullsession/session-record.js';
import { upsertSessions } from '../../sources/fullsession/sessions-table.js';

/** A page of sessions upserted in a transaction of its own, as a page unit writes them. */
export function upsertPage(db: Kysely<Database>, customerId: string, siteId: string, records: FullSessionRecord[]): Promise<number> {
  return transactionWithCopy(db, (trx, copyIn) => upsertSessions(trx, copyIn, customerId, siteId, records));
}
