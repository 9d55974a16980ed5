import { streamKeyOf, type StreamKey } from './stream-key.js';
import type { SiteRef } from './sync-contract.js';

/**
 * Ids derived from what a workflow does, so that starting the same work twice
 * finds the first one (Temporal rejects or attaches to a duplicate id). Each
 * names the stream: source, account and site.
 */

/** Every schedule session-sync manages starts with this, which is how `--prune` finds its own. */
export const SCHEDULE_ID_PREFIX = 'session-sync:';

/**
 * One schedule per stream and deployment: the task queue is part of the id,
 * so two deployments sharing a Temporal namespace never overwrite each other's.
 */
export function scheduleId(taskQueue: string, site: Pick<SiteRef, 'source' | 'customerId' | 'siteId'>): string {
  const stream = streamKeyOf(site);
  return `${SCHEDULE_ID_PREFIX}${taskQueue}:${stream.source}:${stream.customerId}:${stream.siteId}`;
}

/** The id schedules had before it named the task queue and the source; `schedule apply` moves them over. */
export function legacyScheduleId(site: Pick<StreamKey, 'customerId' | 'siteId'>): string {
  return `${SCHEDULE_ID_PREFIX}${site.customerId}:${site.siteId}`;
}

/**
 * A backfill of one stream's range in one deployment: starting it again
 * attaches to the run in progress. The task queue is part of the id, as in
 * schedule ids: a staging deployment sharing a Temporal Cloud namespace with
 * production must not attach to production's backfill and report it done.
 */
export function backfillWorkflowId(taskQueue: string, site: Pick<SiteRef, 'source' | 'customerId' | 'siteId'>, from: number, to: number): string {
  const stream = streamKeyOf(site);
  return `backfill:${taskQueue}:${stream.source}:${stream.customerId}:${stream.siteId}:${new Date(from).toISOString()}:${new Date(to).toISOString()}`;
}

/**
 * The child range workflow of a scheduled run, named by the run's task
 * queue like the backfills. Runs recorded before it did (no `taskQueue`),
 * or before sources had names (no source), keep the id they had then, so
 * they replay the same.
 */
export function scheduledRangeWorkflowId(site: Pick<SiteRef, 'source' | 'customerId' | 'siteId'>, to: number, taskQueue?: string): string {
  const stream = site.source === undefined ? '' : `${site.source}:`;
  const deployment = taskQueue === undefined ? '' : `${taskQueue}:`;
  return `scheduled:${deployment}${stream}${site.customerId}:${site.siteId}:${new Date(to).toISOString()}`;
}
