import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RestartablePostgres } from '../devstack/embedded-postgres.js';
import { startEmbeddedPostgresProcess } from '../devstack/embedded-postgres-process.js';
import { committedPages as countCommittedPages } from '../devstack/committed-pages.js';
import type { FullSessionSandbox } from '../devstack/sandboxes/fullsession/sandbox-server.js';
import { syncRangeWorkflow } from '../workflows/sync-range-workflow.js';
import { storedAndTruth } from './support/compare-with-truth.js';
import { CUSTOMER, DAY, DAY0, HOUR, MAX_SESSION, newToken, SITE, startTestSandbox, syncRequestCount } from './support/sandbox-fixtures.js';
import { startSyncHarness, type SyncHarness } from './support/sync-harness.js';
import { spawnWorker, waitFor, type WorkerProcess } from '../devstack/session-sync-process.js';

/**
 * A Postgres of its own, restarted (fast shutdown: every connection cut, then
 * refused until it is back) while a real worker process is mid-backfill.
 */
describe('Postgres restarted mid-backfill', () => {
  const token = newToken();
  let postgres: RestartablePostgres;
  let sandbox: FullSessionSandbox;
  let harness: SyncHarness;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    postgres = await startEmbeddedPostgresProcess();
    sandbox = await startTestSandbox(token, { pageSize: 20 });
    sandbox.faults.setRandom({ rate: 1, kinds: ['latency'], latencyMs: 100 });
    harness = await startSyncHarness(sandbox, token, { adminDatabaseUrl: postgres.url });
  });

  afterAll(async () => {
    worker?.child.kill('SIGKILL');
    await harness?.close();
    await sandbox?.close();
    await postgres?.stop();
  });

  const committedPages = () => countCommittedPages(harness.database.db);

  it('retries through the outage and ends with exactly the ground truth', async () => {
    const from = DAY0;
    const to = DAY0 + 2 * DAY;
    worker = spawnWorker(harness.workerEnv());
    const handle = await harness.client.workflow.start(syncRangeWorkflow, {
      workflowId: `pg-restart-${randomBytes(3).toString('hex')}`,
      taskQueue: harness.taskQueue,
      args: [{ site: { customerId: CUSTOMER, siteId: SITE, credentialName: 'FULLSESSION_API_TOKEN' }, from, to, windowMs: 6 * HOUR, lookbackMs: MAX_SESSION, force: false, kind: 'backfill' }],
    });
    await waitFor(async () => (await committedPages()) >= 10, 60_000, '10 committed pages');
    const pagesBefore = await committedPages();
    await postgres.restart();
    const totals = await Promise.race([
      handle.result(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no result; worker output ends:\n${worker?.output().slice(-3000)}`)), 90_000)),
    ]);

    expect(worker.child.exitCode).toBe(null);
    // Whether a page failed depends on where the restart lands: a query in
    // flight fails (the activity is retried, or its chunk hands back early and
    // says so in the log), while a pool with only idle connections replaces
    // them unseen. Either way every connection was cut under a running worker,
    // which committed pages after it.
    expect(totals.pages).toBeGreaterThan(pagesBefore);
    const { stored, truth } = await storedAndTruth(harness.database.db, sandbox, from, to);
    expect(Object.keys(truth).length).toBeGreaterThan(1000);
    expect(stored).toEqual(truth);
    // The page in flight when the connections were cut is fetched again, nothing more.
    expect(syncRequestCount(sandbox) - (await committedPages())).toBeLessThanOrEqual(1);
  });
});
