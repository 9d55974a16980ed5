import { ScheduleNotFoundError, type Client, type ScheduleDescription } from '@temporalio/client';
import type { Config } from '../config/load-config.js';
import { SCHEDULE_ID_PREFIX, scheduleId } from '../workflows/workflow-ids.js';

export interface ScheduleRow {
  scheduleId: string;
  site: string;
  cron: string;
  timezone: string;
  paused: boolean;
  note: string | null;
  nextRun: number | null;
  lastRun: number | null;
  lastWorkflowId: string | null;
  inConfig: boolean;
  /** Runs the schedule did not start because one was still going (overlap policy), since it was created. */
  skippedRuns: number;
  /** Runs it did not start because they were later than the catch-up window allows (an outage, a pause). */
  missedRuns: number;
}

/** Every session-sync schedule as `schedule list` and `status` show it. */
export async function describeSchedules(client: Client, config: Config): Promise<ScheduleRow[]> {
  const configured = new Set(config.sites.sites.map((site) => scheduleId(config.temporal.taskQueue, site)));
  const rows: ScheduleRow[] = [];
  for (const id of await managedScheduleIds(client, config.temporal.taskQueue)) {
    const description = await describeOrNull(client, id);
    if (description) rows.push(toRow(description, configured.has(id)));
  }
  return rows.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
}

function toRow(description: ScheduleDescription, inConfig: boolean): ScheduleRow {
  const memo = description.action.memo ?? {};
  const last = description.info.recentActions.at(-1);
  return {
    scheduleId: description.scheduleId,
    site: String(memo.site ?? '-'),
    cron: String(memo.cron ?? '-'),
    timezone: String(memo.timezone ?? description.spec.timezone ?? 'UTC'),
    paused: description.state.paused,
    note: description.state.note ?? null,
    nextRun: description.info.nextActionTimes[0]?.getTime() ?? null,
    lastRun: last ? last.scheduledAt.getTime() : null,
    lastWorkflowId: last?.action.workflow.workflowId ?? null,
    inConfig,
    skippedRuns: description.info.numActionsSkippedOverlap,
    missedRuns: description.info.numActionsMissedCatchupWindow,
  };
}

export async function describeOrNull(client: Client, id: string): Promise<ScheduleDescription | null> {
  try {
    return await client.schedule.getHandle(id).describe();
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return null;
    throw error;
  }
}

/**
 * Ids of the schedules this deployment created: session-sync's id prefix and
 * its task queue in the schedule's memo, so deployments sharing a namespace
 * never prune each other. Listing is eventually consistent on some
 * visibility stores, so `apply` decides per site with `describe`, which is not.
 */
export async function managedScheduleIds(client: Client, taskQueue: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const schedule of client.schedule.list()) {
    if (schedule.scheduleId.startsWith(SCHEDULE_ID_PREFIX) && schedule.memo?.taskQueue === taskQueue) ids.push(schedule.scheduleId);
  }
  return ids;
}
