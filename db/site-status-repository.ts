import { sql, type Kysely } from 'kysely';
import type { StreamKey } from '../workflows/stream-key.js';
import type { Database } from './database.js';
import { effectiveEndedAt, effectiveError, effectiveStatus } from './run-outcome.js';

export interface SiteSyncFacts extends StreamKey {
  watermark: number | null;
  lastSuccessAt: number | null;
  /** The latest end of a range a successful run covered. */
  lastSyncedUntil: number | null;
  lastFailure: { at: number; workflowId: string; message: string } | null;
}

/** What Postgres knows about each stream's syncs, for `session-sync status` and the freshness gauges. */
export async function siteSyncFacts(db: Kysely<Database>, streams: readonly StreamKey[]): Promise<SiteSyncFacts[]> {
  return Promise.all(streams.map((stream) => factsFor(db, stream)));
}

async function factsFor(db: Kysely<Database>, stream: StreamKey): Promise<SiteSyncFacts> {
  const ofStream = { source: stream.source, customer_id: stream.customerId, site_id: stream.siteId };
  const [watermark, success, failure] = await Promise.all([
    db.selectFrom('sync_watermarks').select('synced_until').where((eb) => eb.and(ofStream)).executeTakeFirst(),
    db
      .selectFrom('sync_runs')
      .select([sql<Date | null>`max(finished_at)`.as('finished'), sql<Date | null>`max(range_end)`.as('until')])
      .where((eb) => eb.and(ofStream))
      .where('status', '=', 'succeeded')
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('sync_runs')
      .select([effectiveEndedAt.as('finished_at'), 'workflow_id', effectiveError.as('error')])
      .where((eb) => eb.and(ofStream))
      .where(effectiveStatus, '=', 'failed')
      .orderBy('finished_at', 'desc')
      .limit(1)
      .executeTakeFirst(),
  ]);
  return {
    source: stream.source,
    customerId: stream.customerId,
    siteId: stream.siteId,
    watermark: watermark ? watermark.synced_until.getTime() : null,
    lastSuccessAt: success.finished ? new Date(success.finished).getTime() : null,
    lastSyncedUntil: success.until ? new Date(success.until).getTime() : null,
    lastFailure: failure?.finished_at ? { at: failure.finished_at.getTime(), workflowId: failure.workflow_id, message: failure.error ?? '' } : null,
  };
}
