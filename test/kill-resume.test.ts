import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { FullSessionSandbox } from '../sources/fullsession/sandbox/sandbox-server.js';
import { syncRangeWorkflow } from '../workflows/sync-range-workflow.js';
import { storedAndTruth } from './support/compare-with-truth.js';
import { CUSTOMER, DAY, DAY0, HOUR, MAX_SESSION, newToken, SITE, startTestSandbox, syncRequestCount } from './support/sandbox-fixtures.js';
import { startSyncHarness, type SyncHarness } from './support/sync-harness.js';
import { spawnWorker, waitFor, type WorkerProcess } from './support/worker-process.js';

describe('a worker process killed with SIGKILL mid-window', () => {
  const token = newToken();
  let sandbox: FullSessionSandbox;
  let harness: SyncHarness;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    // Small pages and a little latency so that a kill lands inside a window.
    sandbox = await startTestSandbox(token, { pageSize: 20 });
    sandbox.faults.setRandom({ rate: 1, kinds: ['latency'], latencyMs: 100 });
    harness = await startSyncHarness(sandbox, token);
  });
  afterAll(async () => {
    worker?.child.kill('SIGKILL');
    await harness?.close();
    await sandbox?.close();
  });

  const committedPages = async () => {
    const row = await harness.database.db.selectFrom('sync_checkpoints').select(sql<string>`coalesce(sum(pages), 0)`.as('pages')).executeTakeFirstOrThrow();
    return Number(row.pages);
  };

  it('resumes from the checkpoint and ends with exactly the ground truth, at most one re-fetch per kill', async () => {
    const from = DAY0;
    const to = DAY0 + DAY;
    const handle = await harness.client.workflow.start(syncRangeWorkflow, {
      workflowId: `kill-resume-${randomBytes(3).toString('hex')}`,
      taskQueue: harness.taskQueue,
      args: [{ site: { customerId: CUSTOMER, siteId: SITE, credentialName: 'FULLSESSION_API_TOKEN' }, from, to, windowMs: 6 * HOUR, lookbackMs: MAX_SESSION, force: false, kind: 'backfill' }],
    });

    const kills = [7, 23];
    for (const pages of kills) {
      worker = spawnWorker(harness.workerEnv());
      await waitFor(async () => (await committedPages()) >= pages, 90_000, `${pages} committed pages`);
      worker.child.kill('SIGKILL');
      expect(await worker.exited).toBe(null);
    }
    worker = spawnWorker(harness.workerEnv());
    const totals = await handle.result();
    worker.child.kill('SIGTERM');
    await worker.exited;

    const { stored, truth } = await storedAndTruth(harness.database.db, sandbox, from, to);
    expect(Object.keys(truth).length).toBeGreaterThan(500);
    expect(stored).toEqual(truth);
    expect(totals.windowsDone).toBe(4);
    const refetches = syncRequestCount(sandbox) - (await committedPages());
    expect(refetches).toBeGreaterThanOrEqual(0);
    expect(refetches).toBeLessThanOrEqual(kills.length);
  });
});
