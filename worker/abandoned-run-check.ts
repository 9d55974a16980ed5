import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { SiteConfig } from '../config/site-config.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logging/logger.js';
import { closeAbandonedRuns } from '../operations/abandoned-runs.js';
import { streamKeyOf } from '../workflows/stream-key.js';
import { repeatEvery, type RepeatingRound } from './repeating-round.js';


/**
 * Every `intervalMs`, closes as failed the runs the copy still marks
 * running whose workflows Temporal has ended without them recording it (an
 * operator terminated one, or its history is gone). No code of such a run
 * is left to close it, so until then coverage, status, the status page,
 * metrics and MCP would show its range as being synced, for ever or until
 * someone ran `backfill --gaps`. Every worker of a fleet checks; closing is
 * idempotent. A check that fails is logged and made again next time.
 */
export function checkAbandonedRunsEvery(deps: { db: Kysely<Database>; client: Client; sites: readonly SiteConfig[]; intervalMs: number; log: Logger }): RepeatingRound {
  const { db, client, sites, intervalMs, log } = deps;
  const check = async () => {
    for (const site of sites) {
      for (const run of await closeAbandonedRuns(db, client, streamKeyOf(site))) {
        log.warn({ site: `${site.customerId}/${site.siteId}`, workflowId: run.workflowId, ended: run.ended }, `run ${run.workflowId} ended in Temporal (${run.ended}) without recording its end: closed as failed; its range is a gap until synced again (session-sync backfill --gaps)`);
      }
    }
  };
  return repeatEvery(intervalMs, check, (error) => log.warn({ err: error }, `could not check for runs Temporal ended unrecorded; trying again in ${Math.round(intervalMs / 1000)} s`));
}
