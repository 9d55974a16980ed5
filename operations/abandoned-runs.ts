import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { TIMED_OUT_MESSAGE } from '../db/run-outcome.js';
import { closeAbandonedRun, runsMarkedRunning } from '../db/runs-repository.js';
import type { StreamKey } from '../workflows/stream-key.js';

/**
 * Closes the stream's runs that their rows still mark running though
 * Temporal has ended their workflow chain without them recording it (an
 * operator terminated it in the UI or CLI, or its history is gone): marked
 * failed with how it ended, so their ranges are gaps to repair instead of
 * work left to a run that no longer exists. Returns what it closed.
 */
export async function closeAbandonedRuns(db: Kysely<Database>, client: Client, stream: StreamKey): Promise<Array<{ workflowId: string; ended: string }>> {
  const closed: Array<{ workflowId: string; ended: string }> = [];
  for (const run of await runsMarkedRunning(db, stream)) {
    // Past its deadline, a scheduled run's range has ended with the run (Temporal terminates it as its
    // parent times out), so Temporal need not be asked; readers already say so, in these words.
    const ended = run.pastDeadline ? 'its run timeout' : await howChainEnded(client, run.workflowId, run.firstRunId);
    if (ended === null) continue;
    await closeAbandonedRun(db, run.id, run.pastDeadline ? TIMED_OUT_MESSAGE : `ended in Temporal (${ended}) without recording its end; its range is a gap until synced again`);
    closed.push({ workflowId: run.workflowId, ended });
  }
  return closed;
}

/** How the chain that began with `firstRunId` ended in Temporal, or null while it runs. */
async function howChainEnded(client: Client, workflowId: string, firstRunId: string): Promise<string | null> {
  try {
    const latest = await client.workflow.getHandle(workflowId).describe();
    const sameChain = latest.raw.workflowExecutionInfo?.firstRunId === firstRunId;
    if (!sameChain) return 'replaced by a later run of the same id';
    return latest.status.name === 'RUNNING' ? null : latest.status.name.toLowerCase().replaceAll('_', ' ');
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return 'no longer in its history';
    throw error;
  }
}
