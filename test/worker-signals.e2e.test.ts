// long-running: each SIGKILL waits out a 4 s heartbeat timeout and a retry before the next.
import { randomBytes } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { committedPages as countCommittedPages } from '../devstack/committed-pages.js';
import type { FullSessionSandbox } from '../devstack/sandboxes/fullsession/sandbox-server.js';
import { syncRangeWorkflow } from '../workflows/sync-range-workflow.js';
import { storedAndTruth } from './support/compare-with-truth.js';
import { CUSTOMER, DAY, DAY0, HOUR, isSyncRequest, MAX_SESSION, newToken, SITE, startTestSandbox, syncRequestCount } from './support/sandbox-fixtures.js';
import { startSyncHarness, type SyncHarness } from './support/sync-harness.js';
import { spawnWorker, waitFor, type WorkerProcess } from '../devstack/session-sync-process.js';

/**
 * Where each SIGKILL lands, in order. Chosen points instead of random
 * instants: every kind is hit for certain, and no kill waits for luck.
 * - mid-fetch: a page request is held open at the API;
 * - mid-transaction: the page's rows and cursor are written, its commit waits on a lock;
 * - mid-transaction-window-end: so is a window's last page, with the window's claim in the coverage ledger;
 * - after-continue-as-new: the moment the workflow has moved on to a new run;
 * - retry-mid-fetch: the retry of a killed page, killed again while it fetches;
 * - random: up to 800 ms after the next page commits.
 */
const KILL_POINTS = ['mid-fetch', 'retry-mid-fetch', 'mid-transaction', 'after-continue-as-new', 'random', 'mid-transaction-window-end', 'after-continue-as-new', 'random'] as const;
type KillPoint = (typeof KILL_POINTS)[number];
/** Kill points whose page was requested and never committed: each costs exactly one re-fetch. */
const REFETCHING: ReadonlySet<KillPoint> = new Set(['mid-fetch', 'mid-transaction', 'mid-transaction-window-end', 'retry-mid-fetch']);
const KILLS = KILL_POINTS.length;

/**
 * Real `session-sync worker` processes killed with SIGKILL at chosen points
 * (mid-fetch, inside the page transaction, right after continue-as-new, a
 * killed page's retry, random instants) and stopped with SIGTERM; every run
 * must end with exactly the ground truth and cost at most one re-fetched page
 * per kill, exactly one where the kill caught a page uncommitted.
 */
describe('worker processes killed and stopped', () => {
  const token = newToken();
  let sandbox: FullSessionSandbox;
  let harness: SyncHarness;
  const workers: WorkerProcess[] = [];

  // Fast failover, so the kills fit in CI: a dead worker's page is retried
  // after a 4 s heartbeat timeout, its cached workflows move after 1 s.
  const workerEnv = (extra: Record<string, string> = {}) => harness.workerEnv({ WORKER_STICKY_QUEUE_TIMEOUT: '1s', LOG_LEVEL: 'info', ...extra });
  const start = (extra?: Record<string, string>) => {
    const worker = spawnWorker(workerEnv(extra));
    workers.push(worker);
    return worker;
  };

  beforeAll(async () => {
    // Small pages with a little latency, so a window takes several pages.
    sandbox = await startTestSandbox(token, { pageSize: 20 });
    sandbox.faults.setRandom({ rate: 1, kinds: ['latency'], latencyMs: 100 });
    harness = await startSyncHarness(sandbox, token);
  });

  afterEach(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    // A failed test leaves neither a lock nor a run that the next test's worker would pick up.
    await tableLock?.end();
    tableLock = undefined;
    for (const handle of started) await handle.terminate('test over').catch(() => {});
  });

  afterAll(async () => {
    await harness?.close();
    await sandbox?.close();
  });

  const committedPages = () => countCommittedPages(harness.database.db);
  const coveredWindows = async () => Number((await sql<{ n: string }>`select count(*) as n from sync_coverage`.execute(harness.database.db)).rows[0]!.n);
  const started: WorkflowHandle[] = [];

  it(`survives ${KILLS} SIGKILLs at chosen points with exact rows and at most one re-fetch per kill`, async () => {
    const from = DAY0;
    const to = DAY0 + 5 * DAY;
    const handle = await harness.client.workflow.start(syncRangeWorkflow, {
      workflowId: `kill-storm-${randomBytes(3).toString('hex')}`,
      taskQueue: harness.taskQueue,
      args: [{ site: { customerId: CUSTOMER, siteId: SITE, credentialName: 'FULLSESSION_API_TOKEN' }, from, to, windowMs: 6 * HOUR, lookbackMs: MAX_SESSION, force: false, kind: 'backfill', pagesPerRun: 25, heartbeatTimeoutMs: 4_000 }],
    });
    started.push(handle);
    const latest = harness.client.workflow.getHandle(handle.workflowId);
    const pageAttempt = async () => (await latest.describe()).raw.pendingActivities?.find((a) => a.activityType?.name === 'syncPages')?.attempt ?? 0;
    let worker = start();
    let killedUncommitted = 0;
    for (const point of KILL_POINTS) {
      // Each point but the retry's starts on a fresh page activity, so kills do not pile up retry backoff.
      if (point !== 'retry-mid-fetch') await waitFor(async () => (await pageAttempt()) === 1, 60_000, `a fresh page activity before a ${point} kill`);
      const letGo = await arrive(point, latest);
      if (point === 'retry-mid-fetch') expect(await pageAttempt()).toBeGreaterThanOrEqual(2);
      const pagesAtKill = await committedPages();
      const windowsAtKill = await coveredWindows();
      worker.child.kill('SIGKILL');
      expect(await worker.exited).toBe(null);
      await letGo();
      if (REFETCHING.has(point)) {
        // The page in flight left nothing behind: its rows, cursor and any coverage claim rolled back together.
        expect(await committedPages()).toBe(pagesAtKill);
        expect(await coveredWindows()).toBe(windowsAtKill);
        killedUncommitted += 1;
      }
      worker = start();
    }
    const totals = await handle.result();

    const { stored, truth } = await storedAndTruth(harness.database.db, sandbox, from, to);
    expect(Object.keys(truth).length).toBeGreaterThan(3000);
    expect(stored).toEqual(truth);
    expect(totals.windowsDone).toBe(20);
    // Each window claimed complete exactly once, none by the killed transaction that was writing its claim.
    expect(await coveredWindows()).toBe(20);
    // The run's totals count every committed page, also those a killed worker could not report.
    expect(totals.pages).toBe(await committedPages());
    expect(totals.records).toBe(Object.keys(truth).length);
    const refetches = syncRequestCount(sandbox) - (await committedPages());
    expect(refetches).toBeGreaterThanOrEqual(killedUncommitted);
    expect(refetches).toBeLessThanOrEqual(KILLS);
    for (const each of workers) expect(each.output()).not.toContain(token);
  }, 300_000);

  /** Resolves when the running worker is at `point`, with what lets the held request or transaction go after the kill. */
  async function arrive(point: KillPoint, latest: WorkflowHandle): Promise<() => Promise<void>> {
    switch (point) {
      case 'mid-fetch':
      case 'retry-mid-fetch': {
        const held = sandbox.faults.holdNext(isSyncRequest);
        await held.arrived;
        return async () => held.release();
      }
      case 'mid-transaction':
        // The run's counts are the last statement of every page transaction.
        await holdPageTransactions('sync_runs');
        return releasePageTransactions;
      case 'mid-transaction-window-end':
        // Only a window's last page writes the coverage ledger, after its rows and cursor.
        await holdPageTransactions('sync_coverage');
        return releasePageTransactions;
      case 'after-continue-as-new': {
        const runBefore = (await latest.describe()).runId;
        await waitFor(async () => (await latest.describe()).runId !== runBefore, 60_000, 'continue-as-new');
        return async () => {};
      }
      case 'random': {
        const pagesBefore = await committedPages();
        await waitFor(async () => (await committedPages()) > pagesBefore, 60_000, 'a page committed');
        await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 800)));
        return async () => {};
      }
    }
  }

  let tableLock: pg.Client | undefined;
  let blockedBackend: number | undefined;

  /**
   * Blocks page transactions where they write `table` (the last statements
   * of a page: its rows and cursor are written, the commit has not
   * happened). Resolves once a worker's transaction waits there.
   */
  async function holdPageTransactions(table: 'sync_runs' | 'sync_coverage'): Promise<void> {
    tableLock = new pg.Client({ connectionString: harness.database.url });
    await tableLock.connect();
    await tableLock.query('begin');
    await tableLock.query(`lock table ${table} in share mode`);
    await waitFor(async () => {
      // Looked up in pg_locks: a statement waiting for its table lock still shows the one before it in pg_stat_activity.
      const waiting = await tableLock!.query<{ pid: number }>(`select pid from pg_locks where relation = $1::regclass and mode = 'RowExclusiveLock' and not granted`, [table]);
      blockedBackend = waiting.rows[0]?.pid;
      return blockedBackend !== undefined;
    }, 60_000, `a page transaction waiting to write ${table}`);
  }

  /** Lets the held transaction go on; a killed worker's then rolls back and its backend ends, its client gone. */
  async function releasePageTransactions(): Promise<void> {
    await tableLock!.query('commit');
    await waitFor(async () => {
      const backend = await tableLock!.query('select 1 from pg_stat_activity where pid = $1', [blockedBackend]);
      return backend.rowCount === 0;
    }, 10_000, 'the killed transaction to roll back');
    await tableLock!.end();
    tableLock = undefined;
  }

  it('stops on SIGTERM within the grace time, finishing the page in flight', async () => {
    sandbox.faults.setRandom({ rate: 1, kinds: ['latency'], latencyMs: 1_500 });
    const from = DAY0 + 6 * DAY;
    const to = DAY0 + 7 * DAY;
    const handle = await harness.client.workflow.start(syncRangeWorkflow, {
      workflowId: `sigterm-${randomBytes(3).toString('hex')}`,
      taskQueue: harness.taskQueue,
      args: [{ site: { customerId: CUSTOMER, siteId: SITE, credentialName: 'FULLSESSION_API_TOKEN' }, from, to, windowMs: 6 * HOUR, lookbackMs: MAX_SESSION, force: false, kind: 'backfill', heartbeatTimeoutMs: 4_000 }],
    });
    started.push(handle);
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
