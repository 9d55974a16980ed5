// long-running: a shared budget proven over more than one sliding minute of requests.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FullSessionSandbox } from '../devstack/sandboxes/fullsession/sandbox-server.js';
import { syncRangeWorkflow } from '../workflows/sync-range-workflow.js';
import { storedAndTruth } from './support/compare-with-truth.js';
import { CUSTOMER, DAY, DAY0, HOUR, MAX_SESSION, newToken, SITE, startTestSandbox } from './support/sandbox-fixtures.js';
import { startSyncHarness, type SyncHarness } from './support/sync-harness.js';
import { spawnWorker, type WorkerProcess } from '../devstack/session-sync-process.js';

/** The API's limit, scaled up from 20 so that the test's 370-odd requests, paced, take about a minute and still pass it. */
const LIMIT = 320;

describe('one rate budget shared by three worker processes', () => {
  const token = newToken();
  let sandbox: FullSessionSandbox;
  let harness: SyncHarness;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    sandbox = await startTestSandbox(token, { pageSize: 10, limitPerMinute: LIMIT });
    harness = await startSyncHarness(sandbox, token);
  });
  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await harness?.close();
    await sandbox?.close();
  });

  it('never exceeds the limit in any sliding minute, gets no 429, and lands every range exactly', async () => {
    for (let i = 0; i < 3; i++) {
      workers.push(
        spawnWorker(harness.workerEnv({ FULLSESSION_RATE_LIMIT_PER_MINUTE: String(LIMIT), LOG_LEVEL: 'debug' })),
      );
    }
    const ranges = [0, 1, 2].map((i) => ({ from: DAY0 + i * DAY, to: DAY0 + (i + 1) * DAY }));
    const handles = await Promise.all(
      ranges.map((range) =>
        harness.client.workflow.start(syncRangeWorkflow, {
          workflowId: `budget-${randomBytes(3).toString('hex')}`,
          taskQueue: harness.taskQueue,
          args: [{ site: { customerId: CUSTOMER, siteId: SITE, credentialName: 'FULLSESSION_API_TOKEN' }, ...range, windowMs: 6 * HOUR, lookbackMs: MAX_SESSION, force: false, kind: 'backfill' }],
        }),
      ),
    );
    await Promise.all(handles.map((handle) => handle.result()));

    const arrivals = sandbox.requests.map((r) => r.at).sort((a, b) => a - b);
    expect(arrivals.length).toBeGreaterThan(LIMIT);
    expect(sandbox.requests.filter((r) => r.status === 429)).toEqual([]);
    expect(maxInAnyMinute(arrivals)).toBeLessThanOrEqual(LIMIT);
    for (const range of ranges) {
      const { stored, truth } = await storedAndTruth(harness.database.db, sandbox, range.from, range.to);
      expect(stored).toEqual(truth);
    }
    const pidsThatFetched = new Set(workers.filter((w) => w.output().includes('"msg":"page synced"')).map((w) => w.child.pid));
    expect(pidsThatFetched.size).toBeGreaterThanOrEqual(2);
    for (const worker of workers) expect(worker.output()).not.toContain(token);
  });
});

/** The most requests that arrived within any 60-second sliding window. */
function maxInAnyMinute(sortedTimes: number[]): number {
  let max = 0;
  let first = 0;
  for (let last = 0; last < sortedTimes.length; last++) {
    while (sortedTimes[last]! - sortedTimes[first]! >= 60_000) first++;
    max = Math.max(max, last - first + 1);
  }
  return max;
}
