import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FullSessionSandbox } from '../devstack/sandboxes/fullsession/sandbox-server.js';
import { ENV_CREDENTIAL_NAME } from '../config/load-config.js';
import { progressQuery, syncRangeWorkflow, type SyncRangeInput } from '../workflows/sync-range-workflow.js';
import { storedAndTruth } from './support/compare-with-truth.js';
import { CUSTOMER, DAY, DAY0, HOUR, MAX_SESSION, newToken, SITE, startTestSandbox } from './support/sandbox-fixtures.js';
import { startSyncHarness, type SyncHarness } from './support/sync-harness.js';

describe('range sync end to end (real Temporal, Postgres and HTTP sandbox)', () => {
  const token = newToken();
  let sandbox: FullSessionSandbox;
  let harness: SyncHarness;

  beforeAll(async () => {
    sandbox = await startTestSandbox(token);
    harness = await startSyncHarness(sandbox, token);
    await harness.startWorker();
  });
  afterAll(async () => {
    await harness?.close();
    await sandbox?.close();
  });

  const from = DAY0;
  const to = DAY0 + 3 * DAY;

  it('stores exactly the sandbox ground truth for three days, straddling sessions included', async () => {
    const totals = await harness.syncRange({ from, to });

    const { stored, truth } = await storedAndTruth(harness.database.db, sandbox, from, to);
    expect(Object.keys(truth).length).toBeGreaterThan(1500);
    expect(stored).toEqual(truth);
    const straddlers = sandbox.groundTruth(CUSTOMER, SITE, from, to).filter((s) => Math.floor(s.startTime / (6 * HOUR)) !== Math.floor(s.endTime / (6 * HOUR)));
    expect(straddlers.length).toBeGreaterThan(20);
    expect(totals.records).toBe(Object.keys(truth).length);
    expect(totals.windowsDone).toBe(12);
    // Nothing failed, so every request was one committed page.
    expect(totals.requests).toBe(totals.pages);
    expect(sandbox.apiRequestCount()).toBe(totals.requests);
  });

  it('records the run with its counts', async () => {
    const run = await harness.database.db.selectFrom('sync_runs').selectAll().where('range_start', '=', new Date(from)).executeTakeFirstOrThrow();
    expect(run).toMatchObject({ status: 'succeeded', kind: 'backfill', windows_total: 12, windows_done: 12, error: null });
    expect(run.pages).toBe(sandbox.apiRequestCount());
  });

  it('maps documented fields to typed columns and keeps unknown fields in payload', async () => {
    const withCustom = sandbox.groundTruth(CUSTOMER, SITE, from, to).find((s) => 'customAttributes' in s.json)!;
    const row = await harness.database.db.selectFrom('fullsession_sessions').selectAll().where('session_id', '=', withCustom.uuid).executeTakeFirstOrThrow();
    const json = withCustom.json as Record<string, unknown>;
    expect(row).toMatchObject({
      customer_id: CUSTOMER,
      site_id: SITE,
      start_time: new Date(withCustom.startTime),
      end_time: new Date(withCustom.endTime),
      duration_ms: String(json.duration),
      country_code: json.countryCode,
      browser_full_version: json.browserFullVersion,
      landing_page: json.landingPage,
      page_count: (json.pages as unknown[]).length,
    });
    expect(row.payload).toEqual(json);
  });

  it('skips completed windows on a second run: zero requests', async () => {
    const before = sandbox.requests.length;
    const totals = await harness.syncRange({ from, to });
    expect(sandbox.requests.length - before).toBe(0);
    expect(totals).toMatchObject({ pages: 0, requests: 0, windowsDone: 12 });
  });

  it('re-fetches with force but rewrites no unchanged row', async () => {
    const before = sandbox.apiRequestCount();
    const xminBefore = await rowVersions(harness);
    const totals = await harness.syncRange({ from, to, force: true });
    expect(totals.requests).toBe(sandbox.apiRequestCount() - before);
    expect(totals.requests).toBeGreaterThan(12);
    expect(await rowVersions(harness)).toEqual(xminBefore);
  });

  it('continues as new every few pages and still lands exactly', async () => {
    const rangeFrom = DAY0 + 4 * DAY;
    const rangeTo = rangeFrom + DAY;
    const workflowId = 'continue-as-new-range';
    await harness.syncRange({ from: rangeFrom, to: rangeTo, pagesPerRun: 3 }, workflowId);
    const { stored, truth } = await storedAndTruth(harness.database.db, sandbox, rangeFrom, rangeTo);
    expect(stored).toEqual(truth);
    const firstRun = await harness.client.workflow.getHandle(workflowId).describe();
    const history = await harness.client.workflow.getHandle(workflowId, firstRun.runId).fetchHistory();
    expect(history.events?.length).toBeLessThan(100);
    const runs = await harness.database.db.selectFrom('sync_runs').select(['status', 'windows_done']).where('workflow_id', '=', workflowId).execute();
    expect(runs).toEqual([{ status: 'succeeded', windows_done: 4 }]);
  });

  it("a running range's ETA grows while no page lands: its progress query reads the clock, not the last workflow task's", async () => {
    const rangeFrom = DAY0 + 3 * DAY;
    const secondWindow = rangeFrom + 6 * HOUR;
    // The first page of the second window waits, so the workflow has the first window's totals and nothing new.
    const held = sandbox.faults.holdNext((request) => request.startTime === secondWindow - MAX_SESSION && request.cursor === null);
    const input: SyncRangeInput = { site: { customerId: CUSTOMER, siteId: SITE, credentialName: ENV_CREDENTIAL_NAME }, from: rangeFrom, to: rangeFrom + DAY, windowMs: 6 * HOUR, lookbackMs: MAX_SESSION, force: false, kind: 'backfill' };
    const handle = await harness.client.workflow.start(syncRangeWorkflow, { workflowId: 'eta-while-waiting', taskQueue: harness.taskQueue, args: [input] });
    await held.arrived;
    const before = await handle.query(progressQuery);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const after = await handle.query(progressQuery);
    held.release();
    await handle.result();

    expect([before.windowsDone, after.windowsDone, after.pages]).toEqual([1, 1, before.pages]);
    // Same pages done, 2 s older: each page has taken longer on average, so what remains will too.
    expect(before.etaMs).not.toBeNull();
    expect(after.etaMs!).toBeGreaterThan(before.etaMs!);
  });

  it('picks up sessions that were still in progress on the next run', async () => {
    const rangeFrom = DAY0 + 6 * DAY;
    const firstHorizon = rangeFrom + 10 * HOUR + 17 * 60_000;
    sandbox.setNow(firstHorizon);
    await harness.syncRange({ from: rangeFrom, to: firstHorizon });
    sandbox.setNow(rangeFrom + DAY);
    const secondHorizon = rangeFrom + DAY - 15 * 60_000;
    await harness.syncRange({ from: firstHorizon, to: secondHorizon });

    const lateEnders = sandbox.groundTruth(CUSTOMER, SITE, firstHorizon, secondHorizon).filter((s) => s.startTime < firstHorizon);
    expect(lateEnders.length).toBeGreaterThan(3);
    const { stored, truth } = await storedAndTruth(harness.database.db, sandbox, rangeFrom, secondHorizon);
    expect(stored).toEqual(truth);
    for (const session of lateEnders) expect(stored).toHaveProperty(session.uuid);
    sandbox.setNow(DAY0 + 10 * DAY);
  });

  it('stores a bad record in rejects and lands the rest of its page', async () => {
    const rangeFrom = DAY0 + 8 * DAY;
    const rangeTo = rangeFrom + 6 * HOUR;
    sandbox.faults.failNext('bad_record');
    await harness.syncRange({ from: rangeFrom, to: rangeTo });
    const { stored, truth } = await storedAndTruth(harness.database.db, sandbox, rangeFrom, rangeTo);
    expect(stored).toEqual(truth);
    const rejects = await harness.database.db.selectFrom('fullsession_rejects').select(['session_id', 'reason']).orderBy('reason').execute();
    expect(rejects).toEqual([
      { session_id: `bad-${rangeFrom - 4 * HOUR}`, reason: 'session has no parseable startTime or timestamp' },
      { session_id: null, reason: 'session has no uuid or id' },
    ]);
  });
});

/** Each row's transaction id: unchanged means the row was not rewritten. */
async function rowVersions(harness: SyncHarness): Promise<Record<string, string>> {
  const rows = await harness.database.db
    .selectFrom('fullsession_sessions')
    .select(['session_id', sql<string>`xmin::text`.as('version')])
    .execute();
  return Object.fromEntries(rows.map((r) => [r.session_id, r.version]));
}
