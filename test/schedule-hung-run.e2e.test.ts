import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySchedulesCommand } from '../cli/schedule-commands.js';
import { statusCommand } from '../cli/status-command.js';
import { unfinishedRuns } from '../db/coverage-repository.js';
import { TIMED_OUT_MESSAGE } from '../db/run-outcome.js';
import { FullSessionSandbox } from '../devstack/sandboxes/fullsession/sandbox-server.js';
import { closeAbandonedRuns } from '../operations/abandoned-runs.js';
import { waitFor } from '../devstack/session-sync-process.js';
import { installTemporalRuntime } from '../worker/install-runtime.js';
import { scheduleId } from '../workflows/workflow-ids.js';
import { capturingLogger } from './support/capturing-logger.js';
import { startOperatorStack, type OperatorStack } from './support/operator-stack.js';
import { CUSTOMER, DAY, HOUR, newToken } from './support/sandbox-fixtures.js';

const TOKEN = newToken();
const SITE = 'site-a';

/**
 * A scheduled run that hangs (every API answer takes a minute) is ended by
 * its run timeout; the slot that came while it hung is buffered and starts
 * at once, later ones are skipped and counted. Runs never stop.
 */
describe('a hung scheduled run', () => {
  const { log } = capturingLogger('error');
  let sandbox: FullSessionSandbox;
  let stack: OperatorStack;

  beforeAll(async () => {
    installTemporalRuntime(log);
    const today = Math.floor(Date.now() / DAY) * DAY;
    sandbox = await FullSessionSandbox.start({
      sites: [{ customerId: CUSTOMER, siteId: SITE, sessionsPerHour: 20, maxSessionDurationMs: HOUR }],
      tokens: [{ token: TOKEN, customerId: CUSTOMER, sites: 'all' }],
      activeFrom: today - 3 * DAY,
      pageSize: 500,
      limitPerMinute: null,
    });
    stack = await startOperatorStack({
      yaml: `credentials:\n  main: { kind: fullsession-api-token, secret: { env: HUNG_TOKEN } }\naccounts:\n  ${CUSTOMER}:\n    rateLimitPerMinute: 6000\n    sites:\n      ${SITE}: { credential: main, schedule: { cron: "0 0 1 1 *", jitter: 0s, runTimeout: 3s }, sync: { maxSessionDuration: 1h, settleDelay: 1s, initialLookback: 10m } }\n`,
      secrets: { HUNG_TOKEN: TOKEN },
      apiUrl: sandbox.url,
      env: { FULLSESSION_REQUEST_TIMEOUT: '60s' },
      log,
    });
    await stack.startWorker();
  });
  afterAll(async () => {
    await stack?.close();
    await sandbox?.close();
  });

  it('ends at its timeout, the buffered run starts at once, later slots are skipped and counted, and runs go on', async () => {
    sandbox.faults.setRandom({ rate: 1, kinds: ['latency'], latencyMs: 60_000 });
    await applySchedulesCommand(stack.config(), { prune: false }, () => {});
    const handle = stack.client.schedule.getHandle(scheduleId(stack.taskQueue, { source: 'fullsession', customerId: CUSTOMER, siteId: SITE }));
    expect((await handle.describe()).policies.overlap).toBe('BUFFER_ONE');
    // A slot a second, so the test does not wait for minutes: the same policies and run timeout the site's schedule has.
    await handle.update((schedule) => ({ ...schedule, spec: { intervals: [{ every: '1s' }] } }));

    await waitFor(async () => (await handle.describe()).info.numActionsTaken >= 3, 30_000, 'three runs, each after the one before timed out');
    const info = (await handle.describe()).info;
    expect(info.numActionsSkippedOverlap).toBeGreaterThan(0);
    // Each run began as the one before it ended, 3 s apart: the hung runs held the schedule no longer than their timeout.
    const runs = await Promise.all(info.recentActions.slice(0, 3).map((action) => stack.client.workflow.getHandle(action.action.workflow.workflowId).describe()));
    expect(runs.slice(0, 2).map((run) => run.status.name)).toEqual(['TIMED_OUT', 'TIMED_OUT']);
    for (let i = 1; i < runs.length; i++) {
      const gap = runs[i]!.startTime.getTime() - runs[i - 1]!.startTime.getTime();
      expect(gap).toBeGreaterThanOrEqual(3_000);
      expect(gap).toBeLessThan(6_000);
    }

    const lines: string[] = [];
    const report = await statusCommand(stack.config(), stack.database.db, { json: false }, (line) => lines.push(line));
    const skipped = report.sites[0]!.schedule.skippedRuns;
    expect(skipped).toBeGreaterThan(0);
    expect(lines.join('\n')).toMatch(new RegExp(`^${CUSTOMER}/${SITE}: schedule did not start \\d+ runs? while one was still going and missed 0 past its catch-up window$`, 'm'));

    // A timed-out run runs no more code, so its row still says running; past its deadline (the run timeout) every reader shows it failed, and why.
    const rows = await stack.database.db.selectFrom('sync_runs').select(['id', 'status', 'deadline_at', 'range_start', 'range_end']).where('kind', '=', 'scheduled').execute();
    const timedOut = rows.filter((row) => row.status === 'running' && row.deadline_at !== null && row.deadline_at.getTime() <= Date.now());
    expect(timedOut.length).toBeGreaterThanOrEqual(2);
    const unfinished = await unfinishedRuns(stack.database.db, { source: 'fullsession', customerId: CUSTOMER, siteId: SITE });
    for (const row of timedOut) {
      expect(unfinished.filter((run) => run.from === row.range_start.getTime() && run.to === row.range_end.getTime()).map((run) => run.status)).toEqual(['failed']);
    }
    expect(report.sites[0]!.lastFailure?.message).toBe(TIMED_OUT_MESSAGE);
    expect(lines.join('\n')).toContain(`: ${TIMED_OUT_MESSAGE}`);
    // The workers' check for runs Temporal ended unrecorded closes them in the same words.
    const closed = await closeAbandonedRuns(stack.database.db, stack.client, { source: 'fullsession', customerId: CUSTOMER, siteId: SITE });
    expect(closed.filter((run) => run.ended === 'its run timeout').length).toBe(timedOut.length);
    const closedRows = await stack.database.db.selectFrom('sync_runs').select(['status', 'error']).where('id', 'in', timedOut.map((row) => row.id)).execute();
    expect(closedRows).toEqual(timedOut.map(() => ({ status: 'failed', error: TIMED_OUT_MESSAGE })));

    // The API answers again: the next run syncs and moves the watermark.
    sandbox.faults.setRandom(undefined);
    await waitFor(async () => (await stack.database.db.selectFrom('sync_watermarks').select('synced_until').executeTakeFirst()) !== undefined, 30_000, 'a run that succeeds');
    await handle.pause('test over');
  });
});
