import type { Client } from '@temporalio/client';
import { waitFor } from '../../devstack/session-sync-process.js';
import type { ScheduledSyncResult } from '../../workflows/scheduled-sync-workflow.js';

/** The second of the last trigger, per schedule: a trigger waits for a later one. */
const lastTriggerSecond = new Map<string, number>();

/**
 * Triggers a schedule now and waits for the run it starts, returning its
 * result. Temporal gives a triggered run its trigger's whole second as the
 * nominal time and workflow id, so a second trigger within the same second
 * would find nothing new to sync: this one waits for the next second first.
 */
export async function triggerScheduledRun(client: Client, scheduleId: string): Promise<ScheduledSyncResult> {
  const handle = client.schedule.getHandle(scheduleId);
  while (Math.floor(Date.now() / 1000) <= (lastTriggerSecond.get(scheduleId) ?? 0)) await new Promise((resolve) => setTimeout(resolve, 50));
  lastTriggerSecond.set(scheduleId, Math.floor(Date.now() / 1000));
  const before = (await handle.describe()).info.numActionsTaken;
  await handle.trigger();
  let workflowId = '';
  await waitFor(
    async () => {
      const info = (await handle.describe()).info;
      workflowId = info.recentActions.at(-1)?.action.workflow.workflowId ?? '';
      return info.numActionsTaken > before;
    },
    30_000,
    `a run of schedule ${scheduleId}`,
  );
  return client.workflow.getHandle(workflowId).result();
}
