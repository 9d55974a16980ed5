import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FREE_PAGES } from '../activities/paging-guard.js';
import type { FullSessionSandbox } from '../devstack/sandboxes/fullsession/sandbox-server.js';
import { storedAndTruth } from './support/compare-with-truth.js';
import { DAY, DAY0, HOUR, newToken, startTestSandbox } from './support/sandbox-fixtures.js';
import { startSyncHarness, type SyncHarness } from './support/sync-harness.js';

const TOKEN = newToken();

describe('faults of the API: every run ends with exactly the ground truth', () => {
  let sandbox: FullSessionSandbox;
  let harness: SyncHarness;

  beforeAll(async () => {
    sandbox = await startTestSandbox(TOKEN);
    // A 1 s request timeout turns the sandbox's 1.5 s latency fault into a timeout.
    harness = await startSyncHarness(sandbox, TOKEN, { env: { FULLSESSION_REQUEST_TIMEOUT: '1s' } });
    await harness.startWorker();
  });

  afterEach(() => sandbox.faults.clear());

  afterAll(async () => {
    await harness?.close();
    await sandbox?.close();
  });

  const newRequests = (since: number) => sandbox.requests.slice(since);

  it('survives 30% of responses failing with 5xx, timeouts and dropped connections', async () => {
    const since = sandbox.requests.length;
    // Seeded for a reproducible run: about a third of requests fail, each kind at least once, at most two in a row
    // (a longer streak only adds backoff time: 1 s, 2 s, 4 s, ...).
    sandbox.faults.setRandom({ rate: 0.3, kinds: ['server_error', 'latency', 'drop'], latencyMs: 1_500, seed: 5 });
    const from = DAY0;
    const to = DAY0 + DAY;
    const totals = await harness.syncRange({ from, to });
    const { stored, truth } = await storedAndTruth(harness.database.db, sandbox, from, to);
    expect(Object.keys(truth).length).toBeGreaterThan(500);
    expect(stored).toEqual(truth);
    const faults = newRequests(since).map((r) => r.fault);
    expect(faults.filter((fault) => fault !== null).length / faults.length).toBeGreaterThan(0.2);
    for (const kind of ['server_error', 'latency', 'drop'] as const) expect(faults).toContain(kind);
    // Every page that failed was fetched again; the pages that counted are exactly the committed ones.
    const clean = newRequests(since).filter((r) => r.fault === null).length;
    expect(clean).toBe(totals.pages);
    // The run's requests are every request it made, the failed tries too.
    expect(totals.requests).toBe(newRequests(since).length);
  });

  it('waits out a 429 storm for Retry-After (seconds or HTTP date) without using retry attempts', async () => {
    const since = sandbox.requests.length;
    let dateHeaders = 0;
    sandbox.faults.retryAfter = () => (dateHeaders++ % 2 === 0 ? '1' : new Date(Math.ceil((Date.now() + 1_500) / 1000) * 1000).toUTCString());
    sandbox.faults.failNext('rate_limited', 6);
    const from = DAY0 + DAY;
    const to = DAY0 + 2 * DAY;
    const workflowId = `storm-${Date.now()}`;
    const totals = await harness.syncRange({ from, to }, workflowId);
    const { stored, truth } = await storedAndTruth(harness.database.db, sandbox, from, to);
    expect(stored).toEqual(truth);
    const requests = newRequests(since);
    expect(requests.filter((r) => r.status === 429)).toHaveLength(6);
    expect(totals.requests).toBe(totals.pages + 6);
    for (const [index, request] of requests.entries()) {
      if (request.status !== 429) continue;
      const next = requests[index + 1];
      expect(next, 'a request follows every 429').toBeDefined();
      expect((next?.at ?? 0) - request.at).toBeGreaterThanOrEqual(1_000);
    }
    const history = await harness.client.workflow.getHandle(workflowId).fetchHistory();
    const attempts = (history.events ?? []).flatMap((event) => (event.activityTaskStartedEventAttributes ? [event.activityTaskStartedEventAttributes.attempt] : []));
    expect(attempts.length).toBeGreaterThan(0);
    expect(new Set(attempts)).toEqual(new Set([1]));
  });

  it('never writes a truncated or non-JSON page; retried, the page lands exactly', async () => {
    const since = sandbox.requests.length;
    sandbox.faults.failNext('truncate');
    sandbox.faults.failNext('non_json');
    const from = DAY0 + 2 * DAY;
    const to = DAY0 + 3 * DAY;
    const totals = await harness.syncRange({ from, to });
    const { stored, truth } = await storedAndTruth(harness.database.db, sandbox, from, to);
    expect(stored).toEqual(truth);
    expect(newRequests(since).map((r) => r.fault).slice(0, 3)).toEqual(['truncate', 'non_json', null]);
    expect(newRequests(since)).toHaveLength(totals.pages + 2);
  });

  it('fails the window after three malformed answers, with an excerpt, and writes nothing of it', async () => {
    const since = sandbox.requests.length;
    sandbox.faults.setRandom({ rate: 1, kinds: ['non_json'] });
    const from = DAY0 + 3 * DAY;
    const to = DAY0 + 3 * DAY + 6 * HOUR;
    const failure = await harness.syncRange({ from, to }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(rootCause(failure).message).toBe(
      'FullSession sent a malformed page: response body is not JSON. Body starts: <html><body>Maintenance</body></html> (attempt 3 of 3; giving up on this window)',
    );
    expect(newRequests(since)).toHaveLength(3);
    const rows = await harness.database.db.selectFrom('fullsession_sessions').select('session_id').where('end_time', '>=', new Date(from)).where('end_time', '<', new Date(to)).execute();
    expect(rows).toEqual([]);
    const run = await harness.database.db.selectFrom('sync_runs').select(['status', 'error', 'pages']).where('range_start', '=', new Date(from)).executeTakeFirstOrThrow();
    expect(run).toMatchObject({ status: 'failed', pages: 0 });
    expect(run.error).toContain('attempt 3 of 3');
  });

  it('stops a window whose API hands out a cursor again (A, B, A) after three requests; the pages before it stay', async () => {
    const since = sandbox.requests.length;
    sandbox.faults.paging = 'cycle';
    const from = DAY0 + 4 * DAY;
    const to = DAY0 + 5 * DAY;
    const failure = await harness.syncRange({ from, to, windowMs: DAY }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(rootCause(failure).message).toBe(
      `window ${new Date(from).toISOString()}..${new Date(to).toISOString()} of site site-a stopped: the API returned a cursor this window already used (after 3 pages): paging would loop. ` +
        'Nothing of that page was written and its checkpoint stays before it; the next run of the window tries again from there.',
    );
    expect(newRequests(since)).toHaveLength(3);
    expect(await checkpointPages(from, to)).toBe(2);
  });

  it('stops a window of endless empty pages after FREE_PAGES + 1 requests', async () => {
    const since = sandbox.requests.length;
    sandbox.faults.paging = 'endless_empty';
    const from = DAY0 + 5 * DAY;
    const to = DAY0 + 6 * DAY;
    const failure = await harness.syncRange({ from, to, windowMs: DAY }).catch((error: unknown) => error);
    expect(rootCause(failure).message).toContain(`stopped: ${FREE_PAGES + 1} pages returned only 0 sessions and the API still offers more: paging would not end.`);
    expect(newRequests(since)).toHaveLength(FREE_PAGES + 1);
    expect(await checkpointPages(from, to)).toBe(FREE_PAGES);
  });

  async function checkpointPages(from: number, to: number): Promise<number> {
    const row = await harness.database.db.selectFrom('sync_checkpoints').select('pages').where('window_start', '=', new Date(from)).where('window_end', '=', new Date(to)).executeTakeFirstOrThrow();
    return row.pages;
  }
});

function rootCause(error: unknown): Error {
  let current = error as Error;
  while (current.cause instanceof Error) current = current.cause;
  return current;
}
