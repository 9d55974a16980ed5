import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import type { FullSessionSandbox } from '../devstack/sandboxes/fullsession/sandbox-server.js';
import { DAY0, HOUR, newToken, startTestSandbox } from './support/sandbox-fixtures.js';
import { startSyncHarness, type SyncHarness } from './support/sync-harness.js';

/**
 * A history recorded from an earlier version of the workflow code. Replaying
 * it against today's code fails if a change would break running workflows
 * (non-determinism). Re-record deliberately, with a versioning plan, by
 * running this file with RECORD_REPLAY_FIXTURE=1.
 */
const FIXTURE = fileURLToPath(new URL('./fixtures/sync-range-history.json', import.meta.url));

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
});
