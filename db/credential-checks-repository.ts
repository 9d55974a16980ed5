import { sql, type Kysely, type Selectable } from 'kysely';
import type { CheckOutcome, CredentialChecksTable, Database } from './database.js';

export interface CheckRecord {
  credentialName: string;
  source: string;
  customerId: string;
  siteId: string;
  outcome: CheckOutcome;
  message: string;
}

export type CheckRow = Selectable<CredentialChecksTable>;

/** Keeps the latest check per credential and site. */
export async function recordCheck(db: Kysely<Database>, check: CheckRecord): Promise<void> {
  await db
    .insertInto('credential_checks')
    .values({ credential_name: check.credentialName, source: check.source, customer_id: check.customerId, site_id: check.siteId, outcome: check.outcome, message: check.message })
    .onConflict((oc) =>
      oc.columns(['credential_name', 'source', 'customer_id', 'site_id']).doUpdateSet({ outcome: check.outcome, message: check.message, checked_at: sql`now()` }),
    )
    .execute();
}

export async function listChecks(db: Kysely<Database>): Promise<CheckRow[]> {
  return db.selectFrom('credential_checks').selectAll().orderBy('credential_name').orderBy('site_id').execute();
}
