import { CancelledFailure, WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Config } from '../config/load-config.js';
import { syncMemo, syncSearchAttributes } from '../workflows/search-attributes.js';
import { syncRangeWorkflow } from '../workflows/sync-range-workflow.js';
import type { RunResult } from '../workflows/sync-contract.js';
import { backfillRequest, type BackfillArgs } from './backfill-request.js';
import { ensureSearchAttributes } from '../temporal/ensure-search-attributes.js';
import type { Print } from './print.js';
import { definitionOf } from '../sources/source-definitions.js';
import { createProgressDisplay } from './progress-display.js';
import { connectTemporalClient } from '../temporal/connect-temporal.js';
import { watchProgress } from './watch-progress.js';
import { holdInterrupt, type InterruptNotice } from './interrupt-notice.js';

export interface BackfillOptions extends BackfillArgs {
  detach: boolean;
}

/**
 * `session-sync backfill`: starts the range workflow, or attaches to the one
 * already running for the same site and range, then waits with live progress
 * (or returns at once with `--detach`).
 */
export async function backfillCommand(config: Config, options: BackfillOptions, print: Print, interactive = false): Promise<RunResult | null> {
  // Arguments first: a mistake in them is the operator's to fix before anything is reached.
  backfillRequest(config, options);
  const interrupt = holdInterrupt(print, 'interrupted while starting the backfill; whether it started, `session-sync status` shows');
  try {
    const client = await connectTemporalClient(config.temporal.connection);
    try {
      return await startAndWatch(client, config, options, { print, interactive, interrupt });
    } finally {
      await client.connection.close();
    }
  } finally {
    interrupt.release();
  }
}

/** Starts (or attaches to) the backfill, then watches it unless detached; Ctrl-C says what is true at each step. */
async function startAndWatch(client: Client, config: Config, options: BackfillOptions, out: { print: Print; interactive: boolean; interrupt: InterruptNotice }): Promise<RunResult | null> {
  const { print, interrupt } = out;
  const { workflowId, site, handle, alreadyRunning } = await startBackfill(client, config, options);
  print(`${alreadyRunning ? 'attached to running' : 'started'} backfill ${workflowId} (run ${handle.firstExecutionRunId}) on task queue ${config.temporal.taskQueue}`);
  if (options.detach) {
    interrupt.say(`interrupted after the backfill ${workflowId} started; it goes on in Temporal`);
    print(`detached: follow it with \`session-sync status\` or the Temporal UI; stop it with \`session-sync backfill cancel ${workflowId}\``);
    return null;
  }
  const recordNoun = definitionOf(site.source).recordNoun(site.siteId);
  const display = createProgressDisplay(print, out.interactive, recordNoun);
  // Ctrl-C stops the watching, not the backfill: say so, and how to follow or stop it.
  interrupt.say(
    `stopped watching; the backfill goes on in Temporal. Follow it with \`session-sync status\` (or attach again by running the same backfill), stop it with \`session-sync backfill cancel ${workflowId}\``,
    () => display.stop(),
  );
  try {
    return await watchProgress(handle, display, print, { site: `${site.customerId}/${site.siteId}`, recordNoun });
  } finally {
    interrupt.say(`interrupted after the backfill ${workflowId} ended`);
  }
}

/**
 * Starts the backfill's range workflow, or finds the one already running
 * for the same site and range (its id is derived from them): what the CLI
 * and the MCP server's backfill_gaps both start.
 */
export async function startBackfill(client: Client, config: Config, args: BackfillArgs) {
  const { workflowId, site, input } = backfillRequest(config, args);
  await ensureSearchAttributes(client, config.temporal.namespace);
  const alreadyRunning = await isRunning(client, workflowId);
  const handle = await client.workflow.start(syncRangeWorkflow, {
    workflowId,
    taskQueue: config.temporal.taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: syncSearchAttributes(site, 'backfill'),
    memo: syncMemo(site, 'backfill', { from: input.from, to: input.to }),
  });
  return { workflowId, site, handle, alreadyRunning };
}

/**
 * `session-sync backfill cancel ID`: asks the workflow to stop, which it does
 * between pages, and waits until it has.
 */
export async function cancelBackfillCommand(config: Config, workflowId: string, print: Print): Promise<void> {
  const client = await connectTemporalClient(config.temporal.connection);
  try {
    const handle = client.workflow.getHandle<typeof syncRangeWorkflow>(workflowId);
    await handle.cancel();
    try {
      await handle.result();
      print(`backfill ${workflowId} finished before the cancel reached it`);
    } catch (error) {
      if (!(error instanceof WorkflowFailedError && error.cause instanceof CancelledFailure)) throw error;
      print(`backfill ${workflowId} cancelled between pages; its checkpoints are intact. Start the same backfill again to resume.`);
    }
  } finally {
    await client.connection.close();
  }
}

async function isRunning(client: Client, workflowId: string): Promise<boolean> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}
