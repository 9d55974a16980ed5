import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { committedPages as countCommittedPages } from '../devstack/committed-pages.js';
import type { FullSessionSandbox } from '../devstack/sandboxes/fullsession/sandbox-server.js';
import { syncRangeWorkflow } from '../workflows/sync-range-workflow.js';
import { storedAndTruth } from './support/compare-with-truth.js';
import { CUSTOMER, DAY, DAY0, HOUR, MAX_SESSION, newToken, SITE, startTestSandbox, syncRequestCount } from './support/sandbox-fixtures.js';
import { startSyncHarness, type SyncHarness } from './support/sync-harness.js';
import { spawnWorker, waitFor, type WorkerProcess } from '../devstack/session-sync-process.js';

const KILLS = 20;

/**
 * Real `session-sync worker` processes killed with SIGKILL at random instants
 * (mid-fetch, inside the page transaction, between pages, around
 * continue-as-new) and stopped with SIGTERM; every run must end with exactly
 * the ground truth and cost at most one re-fetched page per kill.
 */
describe('worker processes killed and stopped', () => {
  const token = newToken();
  let sandbox: FullSessionSandbox;
  let harness: SyncHarness;
  const workers: WorkerProcess[] = [];

  // Fast failover, so twenty kills fit in CI: a dead worker's page is retried
  // after a 4 s heartbeat timeout, its cached workflows move after 1 s.
  const workerEnv = (extra: Record<string, string> = {}) => harness.workerEnv({ WORKER_STICKY_QUEUE_TIMEOUT: '1s', LOG_LEVEL: 'info', ...extra });
  const start = (extra?: Record<string, string>) => {
    const worker = spawnWorker(workerEnv(extra));
    workers.push(worker);
    return worker;
  };

  beforeAll(async () => {
    // Small pages with a little latency, so a kill lands inside a window.
    sandbox = await startTestSandbox(token, { pageSize: 20 });
    sandbox.faults.setRandom({ rate: 1, kinds: ['latency'], latencyMs: 100 });
    harness = await startSyncHarness(sandbox, token);
  });

  afterEach(() => {
    for (const worker of workers) worker.child.kill('SIGKILL');
  });

  afterAll(async () => {
    await harness?.close();
    await sandbox?.close();
  });

  const committedPages = () => countCommittedPages(harness.database.db);

  it(`survives ${KILLS} SIGKILLs at random instants with exact rows and at most one re-fetch per kill`, async () => {
    const from = DAY0;
    const to = DAY0 + 5 * DAY;
    const handle = await harness.client.workflow.start(syncRangeWorkflow, {
      workflowId: `kill-storm-${randomBytes(3).toString('hex')}`,
      taskQueue: harness.taskQueue,
      args: [{ site: { customerId: CUSTOMER, siteId: SITE, credentialName: 'FULLSESSION_API_TOKEN' }, from, to, windowMs: 6 * HOUR, lookbackMs: MAX_SESSION, force: false, kind: 'backfill', pagesPerRun: 25, heartbeatTimeoutMs: 4_000 }],
    });
    const killedAt: number[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      const pagesBefore = await committedPages();
      const worker = start();
      await waitFor(async () => (await committedPages()) > pagesBefore, 60_000, `progress before kill ${kill + 1}`);
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 800)));
      worker.child.kill('SIGKILL');
      expect(await worker.exited).toBe(null);
      killedAt.push(await committedPages());
    }
    start();
    const totals = await handle.result();

    const { stored, truth } = await storedAndTruth(harness.database.db, sandbox, from, to);
    expect(Object.keys(truth).length).toBeGreaterThan(3000);
    expect(stored).toEqual(truth);
    expect(totals.windowsDone).toBe(20);
    // The run's totals count every committed page, also those a killed worker could not report.
    expect(totals.pages).toBe(await committedPages());
    expect(totals.records).toBe(Object.keys(truth).length);
    expect(killedAt[KILLS - 1]).toBeLessThan(await committedPages());
    const refetches = syncRequestCount(sandbox) - (await committedPages());
    expect(refetches).toBeGreaterThanOrEqual(0);
    expect(refetches).toBeLessThanOrEqual(KILLS);
    for (const worker of workers) expect(worker.output()).not.toContain(token);
  }, 420_000);

  it('stops on SIGTERM within the grace time, finishing the page in flight', async () => {
    sandbox.faults.setRandom({ rate: 1, kinds: ['latency'], latencyMs: 1_500 });
    const from = DAY0 + 6 * DAY;
    const to = DAY0 + 7 * DAY;
    const handle = await harness.client.workflow.start(syncRangeWorkflow, {
      workflowId: `sigterm-${randomBytes(3).toString('hex')}`,
      taskQueue: harness.taskQueue,
      args: [{ site: { customerId: CUSTOMER, siteId: SITE, credentialName: 'FULLSESSION_API_TOKEN' }, from, to, windowMs: 6 * HOUR, lookbackMs: MAX_SESSION, force: false, kind: 'backfill', heartbeatTimeoutMs: 4_000 }],
    });
    const worker = start({ WORKER_SHUTDOWN_GRACE: '5s' });
    const requestsBefore = syncRequestCount(sandbox);
    await waitFor(() => syncRequestCount(sandbox) >= requestsBefore + 2, 60_000, 'two pages requested');
    const pagesAtSignal = await committedPages();
    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    const stoppedAfterMs = Date.now() - signalledAt;
    expect(stoppedAfterMs).toBeLessThan(5_000 + 3_000);
    // The page in flight at the signal was committed, not abandoned.
    expect(await committedPages()).toBe(pagesAtSignal + 1);
    expect(worker.output()).toContain('"msg":"worker stopped"');

    sandbox.faults.setRandom({ rate: 1, kinds: ['latency'], latencyMs: 50 });
    start();
    await handle.result();
    const { stored, truth } = await storedAndTruth(harness.database.db, sandbox, from, to);
    expect(stored).toEqual(truth);
  });
});
