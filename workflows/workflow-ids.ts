import type { SiteRef } from './sync-contract.js';

/**
 * Ids derived from what a workflow does, so that starting the same work twice
 * finds the first one (Temporal rejects or attaches to a duplicate id).
 */

/** Every schedule session-sync manages starts with this, which is how `--prune` finds its own. */
export const SCHEDULE_ID_PREFIX = 'session-sync:';

/**
 * One schedule per site and deployment: the task queue is part of the id, so
 * two deployments sharing a Temporal namespace never overwrite each other's.
 */
export function scheduleId(taskQueue: string, site: Pick<SiteRef, 'customerId' | 'siteId'>): string {
  return `${SCHEDULE_ID_PREFIX}${taskQueue}:${site.customerId}:${site.siteId}`;
}

/** The id schedules had before it named the task queue; `schedule apply` moves them over. */
export function legacyScheduleId(site: Pick<SiteRef, 'customerId' | 'siteId'>): string {
  return `${SCHEDULE_ID_PREFIX}${site.customerId}:${site.siteId}`;
}

export function backfillWorkflowId(site: Pick<SiteRef, 'customerId' | 'siteId'>, from: number, to: number): string {
  return `backfill:${site.customerId}:${site.siteId}:${new Date(from).toISOString()}:${new Date(to).toISOString()}`;
}

export function scheduledRangeWorkflowId(site: Pick<SiteRef, 'customerId' | 'siteId'>, to: number): string {
  return `scheduled:${site.customerId}:${site.siteId}:${new Date(to).toISOString()}`;
}
