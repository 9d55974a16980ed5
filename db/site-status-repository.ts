import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';

export interface SiteSyncFacts {
  customerId: string;
  siteId: string;
  sessionsStored: number;
  watermark: number | null;
  lastSuccessAt: number | null;
  /** The latest end of a range a successful run covered. */
  lastSyncedUntil: number | null;
  lastFailure: { at: number; workflowId: string; message: string } | null;
}

/** What Postgres knows about each site's syncs, for `session-sync status`. */
export async function siteSyncFacts(db: Kysely<Database>, sites: ReadonlyArray<{ customerId: string; siteId: string }>): Promise<SiteSyncFacts[]> {
  return Promise.all(sites.map((site) => factsFor(db, site)));
}

async function factsFor(db: Kysely<Database>, site: { customerId: string; siteId: string }): Promise<SiteSyncFacts> {
  const ofSite = { customer_id: site.customerId, site_id: site.siteId };
  const [sessions, watermark, success, failure] = await Promise.all([
    db.selectFrom('fullsession_sessions').select(sql<string>`count(*)`.as('count')).where('customer_id', '=', ofSite.customer_id).where('site_id', '=', ofSite.site_id).executeTakeFirstOrThrow(),
    db.selectFrom('sync_watermarks').select('synced_until').where('customer_id', '=', ofSite.customer_id).where('site_id', '=', ofSite.site_id).executeTakeFirst(),
    db
      .selectFrom('sync_runs')
      .select([sql<Date | null>`max(finished_at)`.as('finished'), sql<Date | null>`max(range_end)`.as('until')])
      .where('customer_id', '=', ofSite.customer_id)
      .where('site_id', '=', ofSite.site_id)
      .where('status', '=', 'succeeded')
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('sync_runs')
      .select(['finished_at', 'workflow_id', 'error'])
      .where('customer_id', '=', ofSite.customer_id)
      .where('site_id', '=', ofSite.site_id)
      .where('status', '=', 'failed')
      .orderBy('finished_at', 'desc')
      .limit(1)
      .executeTakeFirst(),
  ]);
  return {
    customerId: site.customerId,
    siteId: site.siteId,
    sessionsStored: Number(sessions.count),
    watermark: watermark ? watermark.synced_until.getTime() : null,
    lastSuccessAt: success.finished ? new Date(success.finished).getTime() : null,
    lastSyncedUntil: success.until ? new Date(success.until).getTime() : null,
    lastFailure: failure?.finished_at ? { at: failure.finished_at.getTime(), workflowId: failure.workflow_id, message: failure.error ?? '' } : null,
  };
}
