import type { Config } from '../config/load-config.js';
import { syncRangeWorkflow } from '../workflows/sync-range-workflow.js';
import type { RunTotals } from '../workflows/sync-contract.js';
import { backfillRequest, type BackfillArgs } from './backfill-request.js';
import { connectTemporalClient } from './temporal-client.js';
import { watchProgress, type Print } from './watch-progress.js';

/**
 * `session-sync backfill`: starts the range workflow (or attaches to the one
 * already running for the same site and range) and waits, printing progress
 * and a final summary.
 */
export async function backfillCommand(config: Config, args: BackfillArgs, print: Print): Promise<RunTotals> {
  const { workflowId, input } = backfillRequest(config, args);
  const client = await connectTemporalClient(config.temporal);
  try {
    const handle = await client.workflow.start(syncRangeWorkflow, {
      workflowId,
      taskQueue: config.temporal.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    print(`backfill ${workflowId} (run ${handle.firstExecutionRunId}) on task queue ${config.temporal.taskQueue}`);
    return await watchProgress(handle, print);
  } finally {
    await client.connection.close();
  }
}
