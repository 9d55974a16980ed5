import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { executeChild, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/create-activities.js';
import { DAY_MS, dayStart, scheduledRange, sweptRange } from './scheduled-range.js';
import { emptyResult } from './sync-counts.js';
import { syncMemo, syncSearchAttributes } from './search-attributes.js';
import type { RunResult, SiteRef } from './sync-contract.js';
import { syncRangeWorkflow } from './sync-range-workflow.js';
import { scheduledRangeWorkflowId } from './workflow-ids.js';

/** The schedule's action arguments: settings only; the range is decided at run time. */
export interface ScheduledSyncInput {
  site: SiteRef;
  windowMs: number;
  lookbackMs: number;
  settleDelayMs: number;
  initialLookbackMs: number;
  ratePerMinute: number;
  /**
   * Data that lands or changes late (FullStory settles within about a day):
   * each run also exports this much before the watermark again. Absent in
   * schedules made before it existed: nothing is refreshed.
   */
  refreshTrailingMs?: number;
  /**
   * The daily sweep's reach-back: `lookbackMs` is then a short one, so every
   * run reads little, and the first run after each UTC day has settled
   * reads that day again reaching back this far, for the sessions that
   * lasted longer. Absent (schedules made before it, sources without a
   * reach-back): no sweep.
   */
  sweepLookbackMs?: number;
  /**
   * The deployment's task queue, which names the run's child workflows so
   * that two deployments sharing a namespace never collide. Absent in
   * schedules made before it (their runs keep the old ids until the next
   * `schedule apply`). An argument, not workflowInfo(): a replay elsewhere
   * must build the same id.
   */
  taskQueue?: string;
}

/** What a scheduled run synced; the workflow returns null when there was nothing new. */
export interface ScheduledSyncResult {
  from: number;
  to: number;
  totals: RunResult;
  /** The whole days this run swept, when it did. */
  swept?: { from: number; to: number; totals: RunResult };
}

const watermarks = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 20 },
});

/**
 * One scheduled run of a site: syncs sessions that ended between the site's
 * watermark and the schedule's nominal time minus the settle delay, as a
 * child range workflow, then moves the watermark there. Sessions still in
 * progress at one run end after its `to` and land in a later run; windows
 * reach back `lookbackMs` on start time, so long sessions are found too.
 * With a sweep (`sweepLookbackMs`), the run that first sees a UTC day
 * settled also reads that day again with the sweep's longer reach-back.
 */
export async function scheduledSyncWorkflow(input: ScheduledSyncInput): Promise<ScheduledSyncResult | null> {
  const watermark = await watermarks.readWatermark({ site: input.site });
  const synced = await syncNewRange(input, watermark);
  if (input.sweepLookbackMs === undefined) return synced;
  // A site's first run: its sweeps start with the day this run started in.
  if (watermark === null && synced) await watermarks.advanceSweptUntil({ site: input.site, to: dayStart(synced.from) });
  const reached = Math.max(watermark ?? -Infinity, synced?.to ?? -Infinity);
  const swept = reached === -Infinity ? null : await sweepSettledDays(input, input.sweepLookbackMs, reached);
  if (!swept) return synced;
  return { ...(synced ?? { from: swept.to, to: swept.to, totals: emptyResult() }), swept };
}

/** The sessions that ended since the watermark, then the watermark moved past them. */
async function syncNewRange(input: ScheduledSyncInput, watermark: number | null): Promise<ScheduledSyncResult | null> {
  const range = scheduledRange({ nominalTime: nominalTime(), settleDelayMs: input.settleDelayMs, initialLookbackMs: input.initialLookbackMs, watermark });
  if (!range) return null;
  const { end: to } = range;
  const refresh = refreshedRange(range.start, watermark, input.refreshTrailingMs);
  const from = refresh?.from ?? range.start;
  const totals = await executeChild(syncRangeWorkflow, {
    workflowId: scheduledRangeWorkflowId(input.site, to, idsTaskQueue(input)),
    args: [{ site: input.site, from, to, windowMs: input.windowMs, lookbackMs: input.lookbackMs, force: false, kind: 'scheduled', ratePerMinute: input.ratePerMinute, ...(refresh ? { forceUntil: refresh.forceUntil } : {}) }],
    typedSearchAttributes: syncSearchAttributes(input.site, 'scheduled'),
    memo: syncMemo(input.site, 'scheduled', { from, to }),
    ...endingWithThisRun(),
  });
  await watermarks.advanceWatermark({ site: input.site, to });
  return { from, to, totals };
}

/**
 * The whole days that settled since the last sweep, read again with the
 * long reach-back (their own checkpoints: the reach-back is part of a
 * window's key), then the sweep's mark moved past them.
 */
async function sweepSettledDays(input: ScheduledSyncInput, sweepLookbackMs: number, watermark: number): Promise<{ from: number; to: number; totals: RunResult } | null> {
  const sweptUntil = await watermarks.readSweptUntil({ site: input.site });
  const range = sweptRange({ nominalTime: nominalTime(), settleDelayMs: input.settleDelayMs, sweptUntil, watermark });
  if (!range) return null;
  const totals = await executeChild(syncRangeWorkflow, {
    workflowId: `${scheduledRangeWorkflowId(input.site, range.end, idsTaskQueue(input))}:sweep`,
    args: [{ site: input.site, from: range.start, to: range.end, windowMs: DAY_MS, lookbackMs: sweepLookbackMs, force: false, kind: 'scheduled', ratePerMinute: input.ratePerMinute }],
    typedSearchAttributes: syncSearchAttributes(input.site, 'scheduled'),
    memo: syncMemo(input.site, 'scheduled', { from: range.start, to: range.end }),
    ...endingWithThisRun(),
  });
  await watermarks.advanceSweptUntil({ site: input.site, to: range.end });
  return { from: range.start, to: range.end, totals };
}

/**
 * A child range ends when this run's timeout (the schedule's runTimeout)
 * ends this run: Temporal would terminate it then anyway, as its parent
 * closes. Given as the child's own execution timeout, the deadline is in the
 * child's run record, so readers know a run still marked running past it
 * was ended unfinished (db/run-outcome.ts).
 */
function endingWithThisRun(): { workflowExecutionTimeout?: number } {
  const expires = workflowInfo().executionExpirationTime;
  return expires ? { workflowExecutionTimeout: Math.max(1, expires.getTime() - Date.now()) } : {};
}

/**
 * With a trailing refresh, the run starts that much before the watermark
 * and re-fetches the windows up to it (`forceUntil`); windows after it are
 * new and fetched once. Null when there is nothing to refresh.
 */
function refreshedRange(start: number, watermark: number | null, refreshTrailingMs: number | undefined): { from: number; forceUntil: number } | null {
  if (!refreshTrailingMs || watermark === null) return null;
  return { from: Math.min(start, watermark - refreshTrailingMs), forceUntil: watermark };
}

/**
 * The time the schedule meant this run for. A run started late (catch-up
 * after an outage) still covers its own slot: Temporal records the nominal
 * time in the TemporalScheduledStartTime search attribute.
 */
function nominalTime(): number {
  const scheduled = workflowInfo().typedSearchAttributes.get(SCHEDULED_START_TIME);
  return scheduled ? scheduled.getTime() : Date.now();
}

const SCHEDULED_START_TIME = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/** Since this patch, child ids name the deployment's task queue (workflow-ids.ts). */
const CHILD_IDS_NAME_TASK_QUEUE = 'child-ids-name-task-queue';

/**
 * The task queue a run's child ids name, or undefined for the old ids. The
 * patch keeps a rolling deploy safe: a run that an old worker started (its
 * child under the old id, whatever its schedule's arguments) replays on a
 * new worker with the old id.
 */
function idsTaskQueue(input: ScheduledSyncInput): string | undefined {
  return patched(CHILD_IDS_NAME_TASK_QUEUE) ? input.taskQueue : undefined;
}
