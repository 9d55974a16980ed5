import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { randomBytes } from 'node:crypto';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { ENV_CREDENTIAL_NAME, loadConfig } from '../config/load-config.js';
import { ensureSearchAttributes } from '../temporal/ensure-search-attributes.js';
import { scheduledSyncWorkflow, type ScheduledSyncInput } from '../workflows/scheduled-sync-workflow.js';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import type { FullSessionSandbox } from '../devstack/sandboxes/fullsession/sandbox-server.js';
import { CUSTOMER, DAY0, HOUR, MAX_SESSION, newToken, startTestSandbox } from './support/sandbox-fixtures.js';
import { startInProcessWorker } from './support/in-process-worker.js';
import { silentLogger } from './support/silent-logger.js';
import { startSyncHarness, type SyncHarness } from './support/sync-harness.js';

/**
 * A history recorded from an earlier version of the workflow code. Replaying
 * it against today's code fails if a change would break running workflows
 * (non-determinism). Re-record deliberately, with a versioning plan, by
 * running this file with RECORD_REPLAY_FIXTURE=1.
 */
const FIXTURE = fileURLToPath(new URL('./fixtures/sync-range-history.json', import.meta.url));
/**
 * A scheduled run recorded with the bundle of the release before child ids
 * named the task queue (RECORD_SCHEDULED_FIXTURE=<that release's
 * dist/workflow-bundle.js>), from a schedule that already passes the task
 * queue: what a rolling deploy leaves for a new worker to replay.
 */
const SCHEDULED_FIXTURE = fileURLToPath(new URL('./fixtures/scheduled-sync-history.json', import.meta.url));

describe('workflow determinism (replay)', () => {
  const token = newToken();
  let sandbox: FullSessionSandbox;
  let harness: SyncHarness;

  beforeAll(async () => {
    sandbox = await startTestSandbox(token, { pageSize: 40 });
    harness = await startSyncHarness(sandbox, token);
    await harness.startWorker();
  });
  afterAll(async () => {
    await harness?.close();
    await sandbox?.close();
  });

  const replay = (history: ReturnType<typeof historyFromJSON>) =>
    Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') }, replayName: 'sync-range' }, history);

  it('replays a fresh history (paging, a transient failure, force) without non-determinism', async () => {
    sandbox.faults.failNext('server_error');
    const workflowId = 'replay-fresh';
    await harness.syncRange({ from: DAY0, to: DAY0 + 12 * HOUR, force: true }, workflowId);
    const history = await harness.client.workflow.getHandle(workflowId).fetchHistory();
    expect(history.events?.length).toBeGreaterThan(20);
    if (process.env.RECORD_REPLAY_FIXTURE === '1') writeFileSync(FIXTURE, historyToJSON(history));
    await expect(replay(history)).resolves.toBeUndefined();
  });

  it('replays the committed history recorded from an earlier version', async () => {
    expect(existsSync(FIXTURE)).toBe(true);
    await expect(replay(historyFromJSON(JSON.parse(readFileSync(FIXTURE, 'utf8'))))).resolves.toBeUndefined();
  });

  it('replays a scheduled run an older worker ran (its child under the old id, though its schedule names the task queue), and a fresh one whose child names it', async () => {
    const recordWith = process.env.RECORD_SCHEDULED_FIXTURE;
    if (recordWith) writeFileSync(SCHEDULED_FIXTURE, historyToJSON(await scheduledRunHistory(recordWith, DAY0 + 6 * HOUR)));
    const recorded = historyFromJSON(JSON.parse(readFileSync(SCHEDULED_FIXTURE, 'utf8')));
    expect(childIds(recorded)).toEqual([expect.stringMatching(/^scheduled:fullsession:cust-[0-9a-f]+:site-a:/)]);
    await expect(replay(recorded)).resolves.toBeUndefined();
    // Six hours later than any recorded run: the watermark it moved leaves this run a range to sync.
    const fresh = await scheduledRunHistory(inject('workflowBundlePath'), DAY0 + 12 * HOUR);
    expect(childIds(fresh)).toEqual([expect.stringMatching(new RegExp(`^scheduled:${harness.taskQueue}-scheduled:fullsession:`))]);
    await expect(replay(fresh)).resolves.toBeUndefined();
  });

  /** A scheduled run of site-a by a worker on `bundle`, started as its schedule would (nominal time included), and its history. */
  async function scheduledRunHistory(bundle: string, nominalTime: number) {
    const taskQueue = `${harness.taskQueue}-scheduled`;
    // The child range workflow carries session-sync's attributes: on a fresh dev server nothing has registered them yet.
    await ensureSearchAttributes(harness.client, 'default');
    const config = loadConfig(harness.workerEnv({ TEMPORAL_TASK_QUEUE: taskQueue, WORKFLOW_BUNDLE_PATH: bundle }), { credentials: true });
    const worker = await startInProcessWorker({ config, credentials: config.credentials, db: harness.database.db, log: silentLogger });
    const workflowId = `replay-scheduled-${randomBytes(3).toString('hex')}`;
    const input: ScheduledSyncInput = { site: { source: 'fullsession', customerId: CUSTOMER, siteId: 'site-a', credentialName: ENV_CREDENTIAL_NAME }, windowMs: 6 * HOUR, lookbackMs: MAX_SESSION, settleDelayMs: 0, initialLookbackMs: 6 * HOUR, ratePerMinute: 100_000, taskQueue };
    try {
      await harness.client.workflow.execute(scheduledSyncWorkflow, { workflowId, taskQueue, args: [input], typedSearchAttributes: [{ key: SCHEDULED_START_TIME, value: new Date(nominalTime) }] });
    } finally {
      await worker.stop();
    }
    return harness.client.workflow.getHandle(workflowId).fetchHistory();
  }
});

/** Temporal's own attribute on scheduled runs, which the workflow reads its nominal time from. */
const SCHEDULED_START_TIME = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

function childIds(history: ReturnType<typeof historyFromJSON>): string[] {
  return (history.events ?? []).flatMap((event) => (event.startChildWorkflowExecutionInitiatedEventAttributes ? [event.startChildWorkflowExecutionInitiatedEventAttributes.workflowId ?? ''] : []));
}
