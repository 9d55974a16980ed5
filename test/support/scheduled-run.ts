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
  const triggerSecond = Math.floor(Date.now() / 1000);
  lastTriggerSecond.set(scheduleId, triggerSecond);
  await handle.trigger();
  let started: { workflowId: string; firstExecutionRunId: string } | undefined;
  // This trigger's run, by its nominal time: counting the schedule's actions
  // would take a late duplicate start of the trigger before (below) for it.
  await waitFor(
    async () => {
      started = (await handle.describe()).info.recentActions.find((action) => action.scheduledAt.getTime() >= triggerSecond * 1000)?.action.workflow;
      return started !== undefined;
    },
    30_000,
    `a run of schedule ${scheduleId}`,
  );
  return resultOfTriggeredRun(client, started!);
}

/**
 * The result of the first run under a triggered workflow id, which must
 * have synced something (the trigger waited for a new second). On a busy
 * server Temporal's scheduler can start a triggered run twice under the same
 * id: its workflow task times out after the start, the retried task starts
 * it again, and manual starts allow a duplicate id once the first run has
 * closed (temporalio/temporal#8035). The schedule records the second. The
 * first run synced the slot; any later one must have found nothing new
 * (null), or two runs synced the same slot, which this says.
 */
async function resultOfTriggeredRun(client: Client, recorded: { workflowId: string; firstExecutionRunId: string }): Promise<ScheduledSyncResult> {
  const { workflowId, firstExecutionRunId } = recorded;
  await client.workflow.getHandle(workflowId, firstExecutionRunId).result();
  let runs: { runId: string; startTime: Date }[] = [];
  await waitFor(
    async () => {
      runs = [];
      for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push({ runId: run.runId, startTime: run.startTime });
      return runs.some((run) => run.runId === firstExecutionRunId);
    },
    30_000,
    `the runs of ${workflowId} in Temporal's visibility`,
  );
  runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
  const results: (ScheduledSyncResult | null)[] = [];
  for (const run of runs) results.push(await client.workflow.getHandle(workflowId, run.runId).result());
  if (results.slice(1).some((result) => result !== null)) throw new Error(`${runs.length} runs of ${workflowId} each synced something: ${JSON.stringify(results)}`);
  if (!results[0]) throw new Error(`the run ${workflowId} found nothing new to sync`);
  return results[0];
}
