import { sql, type Kysely, type Transaction } from 'kysely';
import type { StreamKey } from '../workflows/stream-key.js';
import type { CheckpointKey } from './checkpoints-repository.js';
import type { Database } from './database.js';
import { effectiveStatus } from './run-outcome.js';

/** One row of the coverage ledger: a window synced to its end, and when. */
export interface CoveredWindow {
  from: number;
  to: number;
  reachBackMs: number;
  syncedAt: number;
}

/**
 * Records that a window was synced to its end, in the transaction of its
 * last unit, so the ledger says exactly what the data says after any crash.
 * `startedAt` is when this sync of the window began: what the source had
 * then is all in (null, a window begun by an older release: now, the
 * commit). A window synced again keeps one row, with its latest time.
 */
export async function recordCoveredWindow(trx: Transaction<Database>, key: CheckpointKey, startedAt: Date | null): Promise<void> {
  await trx
    .insertInto('sync_coverage')
    .values({ source: key.source, customer_id: key.customerId, site_id: key.siteId, range_start: new Date(key.windowStart), range_end: new Date(key.windowEnd), reach_back_ms: key.lookbackMs, synced_at: startedAt ?? sql<Date>`now()` })
    .onConflict((oc) => oc.columns(['source', 'customer_id', 'site_id', 'range_start', 'range_end', 'reach_back_ms']).doUpdateSet({ synced_at: sql`greatest(sync_coverage.synced_at, excluded.synced_at)` }))
    .execute();
}

/** Every covered window of the stream, oldest first: its whole history, which the watermark is counted over. */
export async function coveredWindows(db: Kysely<Database>, stream: StreamKey): Promise<CoveredWindow[]> {
  const rows = await db
    .selectFrom('sync_coverage')
    .select(['range_start', 'range_end', 'reach_back_ms', 'synced_at'])
    .where('source', '=', stream.source)
    .where('customer_id', '=', stream.customerId)
    .where('site_id', '=', stream.siteId)
    .orderBy('range_start')
    .execute();
  return rows.map((row) => ({ from: row.range_start.getTime(), to: row.range_end.getTime(), reachBackMs: Number(row.reach_back_ms), syncedAt: row.synced_at.getTime() }));
}

/** The stream's runs that are running or failed, each with the range it was to sync: what a gap is waiting for or lost to. */
export async function unfinishedRuns(db: Kysely<Database>, stream: StreamKey): Promise<Array<{ from: number; to: number; status: 'running' | 'failed' }>> {
  const rows = await db
    .selectFrom('sync_runs')
    .select(['range_start', 'range_end', effectiveStatus.as('status')])
    .where('source', '=', stream.source)
    .where('customer_id', '=', stream.customerId)
    .where('site_id', '=', stream.siteId)
    .where('status', 'in', ['running', 'failed'])
    .execute();
  return rows.map((row) => ({ from: row.range_start.getTime(), to: row.range_end.getTime(), status: row.status as 'running' | 'failed' }));
}
