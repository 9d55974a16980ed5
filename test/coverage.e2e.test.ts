import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FullSessionSandbox } from '../devstack/sandboxes/fullsession/sandbox-server.js';
import { runCli, spawnWorker, waitFor } from '../devstack/session-sync-process.js';
import { installTemporalRuntime } from '../worker/install-runtime.js';
import { capturingLogger } from './support/capturing-logger.js';
import { storedAndTruth } from './support/compare-with-truth.js';
import { startOperatorStack, type OperatorStack } from './support/operator-stack.js';
import { CUSTOMER, DAY, HOUR, newToken } from './support/sandbox-fixtures.js';

const TOKEN = newToken();
const SITE = 'site-a';
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A site whose history has a hole: day 1 and day 3 backfilled, day 2 not.
 * `coverage` names exactly that day and exits 1; `backfill --gaps` fetches
 * that day and nothing else; then coverage exits 0 and the copy is exact.
 */
describe('coverage and backfill --gaps', () => {
  const { log } = capturingLogger('warn');
  let sandbox: FullSessionSandbox;
  let stack: OperatorStack;
  const today = Math.floor(Date.now() / DAY) * DAY;
  // Recent whole days (the planner models a backfill from the last week's sessions), ending before today's settle delay.
  const day1 = today - 4 * DAY;
  const [day2, day3, day4] = [day1 + DAY, day1 + 2 * DAY, day1 + 3 * DAY];

  beforeAll(async () => {
    installTemporalRuntime(log);
    sandbox = await FullSessionSandbox.start({
      sites: [{ customerId: CUSTOMER, siteId: SITE, sessionsPerHour: 40, maxSessionDurationMs: 4 * HOUR }],
      tokens: [{ token: TOKEN, customerId: CUSTOMER, sites: 'all' }],
      activeFrom: today - 30 * DAY,
      pageSize: 500,
      limitPerMinute: null,
    });
    stack = await startOperatorStack({
      yaml: `credentials:\n  main: { kind: fullsession-api-token, secret: { env: COVERAGE_TOKEN } }\naccounts:\n  ${CUSTOMER}:\n    rateLimitPerMinute: 6000\n    sites:\n      ${SITE}: { credential: main, sync: { maxSessionDuration: 4h }, freshness: { warnAfter: 1d, errorAfter: 2d } }\n`,
      secrets: { COVERAGE_TOKEN: TOKEN },
      apiUrl: sandbox.url,
      log,
    });
    await stack.startWorker();
  });
  afterAll(async () => {
    await stack?.close();
    await sandbox?.close();
  });

  const cli = (...args: string[]) => runCli(args, stack.env);
  const coverage = async () => {
    const result = await cli('coverage', '--site', SITE, '--json');
    if (!result.stdout) throw new Error(`coverage printed nothing (exit ${result.code}): ${result.stderr}`);
    return { code: result.code, report: JSON.parse(result.stdout).sites[0], stderr: result.stderr };
  };

  it('names the one missing day with exit 1, backfills exactly it, then exits 0 with the watermark at the end of day 3', async () => {
    const firstDay = await cli('backfill', '--site', SITE, '--from', iso(day1), '--to', iso(day2));
    expect(firstDay.code).toBe(0);
    expect(firstDay.stdout).toMatch(new RegExp(`^done: ${CUSTOMER}/${SITE}: windows 1, pages \\d+, sessions ${sandbox.groundTruth(CUSTOMER, SITE, day1, day2).length}, requests \\d+, rejects 0, elapsed \\d+\\.\\ds$`, 'm'));
    expect((await cli('backfill', '--site', SITE, '--from', iso(day3), '--to', iso(day4))).code).toBe(0);

    const holed = await coverage();
    expect(holed.code).toBe(1);
    expect(holed.report).toMatchObject({ source: 'fullsession', customerId: CUSTOMER, siteId: SITE, from: iso(day1), watermark: iso(day2), freshUntil: iso(day4), gaps: [{ from: iso(day2), to: iso(day3), state: 'missing' }], provisional: [] });
    const [first, second, third] = holed.report.days;
    expect([first.state, second.state, third.state]).toEqual(['complete', 'missing', 'complete']);
    const truth = (from: number, to: number) => sandbox.groundTruth(CUSTOMER, SITE, from, to).length;
    expect([first.records, second.records, third.records]).toEqual([truth(day1, day2), 0, truth(day3, day4)]);
    // Days after the newest synced instant are not synced yet: lateness, not a gap.
    expect(holed.report.days.slice(3).every((day: { state: string }) => day.state === 'pending')).toBe(true);

    // Status says the same in words, and --check fails on the stale copy.
    const stale = await cli('status', '--check');
    expect(stale.code).toBe(1);
    expect(stale.stdout).toMatch(new RegExp(`^fullsession\\s+${CUSTOMER}/${SITE}\\s+none\\s+stale\\s+complete to ${iso(day2).slice(0, 10)} 00:00Z, \\d+d \\d+h ago; fresh to ${iso(day4).slice(0, 10)} 00:00Z, (\\d+h \\d+m|1d \\d+h) ago\\s`, 'm'));
    expect(stale.stdout).toMatch(new RegExp(`^${CUSTOMER}/${SITE}: stale: complete only to ${iso(day2).slice(0, 10)} 00:00Z, \\d+d \\d+h ago \\(late after 24h 0m, stale after 2d 0h\\)$`, 'm'));

    const before = sandbox.requests.length;
    const repair = await cli('backfill', '--gaps', '--site', SITE);
    expect(repair.code).toBe(0);
    expect(repair.stdout).toContain(`${CUSTOMER}/${SITE}: 1 gap to backfill:\n  ${iso(day2).replace('.000Z', 'Z')} .. ${iso(day3).replace('.000Z', 'Z')} (missing, 24h 0m)\n  cost: about `);
    // Day 2 only: its window's query reaches back the 4-hour maximum session duration, no further, and ends with the day (endTime is inclusive).
    const queries = sandbox.requests.slice(before).filter((request) => request.startTime !== null && request.endTime !== null && request.endTime - request.startTime > 1);
    expect(queries.length).toBeGreaterThan(0);
    for (const query of queries) expect([query.startTime, query.endTime]).toEqual([day2 - 4 * HOUR, day3 - 1]);

    const repaired = await coverage();
    expect(repaired.code).toBe(0);
    expect(repaired.report).toMatchObject({ watermark: iso(day4), freshUntil: iso(day4), gaps: [], provisional: [] });
    // Complete to yesterday's midnight: late past a day, a warning, so --check passes.
    const late = await cli('status', '--check');
    expect(late.code).toBe(0);
    expect(late.stdout).toContain(`${CUSTOMER}/${SITE}: late: complete only to ${iso(day4).slice(0, 10)} 00:00Z`);
    const { stored, truth: all } = await storedAndTruth(stack.database.db, sandbox, day1, day4, SITE);
    expect(stored).toEqual(all);
    expect((await cli('backfill', '--gaps', '--site', SITE)).stdout).toBe(`${CUSTOMER}/${SITE}: no gaps to backfill\n`);
  });

  it('Ctrl-C on an attached backfill stops the watching, says the backfill goes on and how to follow or cancel it', async () => {
    // Its first request is held: the backfill is certainly still running when the operator presses Ctrl-C.
    const held = sandbox.faults.holdNext();
    const child = spawn(process.execPath, ['bin/session-sync.js', 'backfill', '--site', SITE, '--from', iso(day1 - 2 * DAY), '--to', iso(day1 - DAY)], { cwd: fileURLToPath(new URL('../', import.meta.url)), env: { PATH: process.env.PATH ?? '', ...stack.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await held.arrived;
    await waitFor(() => stdout.includes('started backfill'), 30_000, 'the backfill to start');
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const workflowId = /started backfill (\S+) /.exec(stdout)![1]!;
    expect(stdout).toContain(`stopped watching; the backfill goes on in Temporal. Follow it with \`session-sync status\` (or attach again by running the same backfill), stop it with \`session-sync backfill cancel ${workflowId}\``);
    held.release();
    await stack.client.workflow.getHandle(workflowId).result();
  });

  it('a backfill terminated in Temporal is a gap for backfill --gaps to repair, not a run to wait for', async () => {
    const [from, to] = [day1 - 5 * DAY, day1 - 4 * DAY];
    const inRange = ['--site', SITE, '--from', iso(from), '--to', iso(to)];
    sandbox.faults.setRandom({ rate: 1, kinds: ['latency'], latencyMs: 60_000 });
    const started = await cli('backfill', ...inRange, '--detach');
    const workflowId = /started backfill (\S+) /.exec(started.stdout)![1]!;
    const runRow = () => stack.database.db.selectFrom('sync_runs').select(['status', 'error']).where('workflow_id', '=', workflowId).orderBy('id').execute();
    await waitFor(async () => (await runRow()).length === 1, 30_000, 'the run to be recorded');
    // Terminated by hand: no code of the run records its end, so its row still says running.
    // The worker stops first: a page activity learns of the termination only at its next heartbeat,
    // and a retry of its timed-out request could commit the window before then.
    await stack.stopWorker();
    await stack.client.workflow.getHandle(workflowId).terminate('by hand');
    sandbox.faults.setRandom(undefined);
    await stack.startWorker();
    expect((await runRow()).map((row) => row.status)).toEqual(['running']);

    const repair = await cli('backfill', '--gaps', ...inRange);
    expect(repair.code).toBe(0);
    expect(repair.stdout).toContain(
      `${CUSTOMER}/${SITE}: run ${workflowId} ended in Temporal (terminated) without recording its end; its range is a gap again\n` +
        `${CUSTOMER}/${SITE}: 1 gap to backfill:\n  ${iso(from).replace('.000Z', 'Z')} .. ${iso(to).replace('.000Z', 'Z')} (failed, 24h 0m)\n`,
    );
    expect((await runRow()).map((row) => [row.status, row.error])).toEqual([
      ['failed', 'ended in Temporal (terminated) without recording its end; its range is a gap until synced again'],
      ['succeeded', null],
    ]);
    const { stored, truth } = await storedAndTruth(stack.database.db, sandbox, from, to, SITE);
    expect(stored).toEqual(truth);
  });

  it('a worker closes a run Temporal ended unrecorded by itself: coverage shows its range failed with nobody repairing anything', async () => {
    const [from, to] = [day1 - 7 * DAY, day1 - 6 * DAY];
    const inRange = ['--site', SITE, '--from', iso(from), '--to', iso(to)];
    await stack.stopWorker();
    const worker = spawnWorker({ ...stack.env, WORKER_ABANDONED_RUN_CHECK: '1s' });
    try {
      // Started and done with its credential check before every answer is held up.
      await waitFor(() => worker.output().includes('"msg":"worker started"'), 30_000, 'the worker to start');
      sandbox.faults.setRandom({ rate: 1, kinds: ['latency'], latencyMs: 60_000 });
      const started = await cli('backfill', ...inRange, '--detach');
      const workflowId = /started backfill (\S+) /.exec(started.stdout)![1]!;
      const runRow = () => stack.database.db.selectFrom('sync_runs').select(['status', 'error']).where('workflow_id', '=', workflowId).executeTakeFirst();
      await waitFor(async () => (await runRow()) !== undefined, 30_000, 'the run to be recorded');
      await stack.client.workflow.getHandle(workflowId).terminate('by hand');

      // The worker logs a closed run after its commit, and its output reaches this process through a pipe
      // some time later: wait for the line (which proves the commit), then read the row. Reading the
      // output once as soon as the row read 'failed' is what failed in a fresh-clone CI run.
      const closedLine = `run ${workflowId} ended in Temporal (terminated) without recording its end: closed as failed; its range is a gap until synced again (session-sync backfill --gaps)`;
      await waitFor(() => worker.output().includes(closedLine), 15_000, 'the worker to close the run and say so');
      expect(await runRow()).toEqual({ status: 'failed', error: 'ended in Temporal (terminated) without recording its end; its range is a gap until synced again' });
      const report = JSON.parse((await cli('coverage', ...inRange, '--json')).stdout).sites[0];
      expect(report.gaps).toEqual([{ from: iso(from), to: iso(to), state: 'failed' }]);
    } finally {
      sandbox.faults.setRandom(undefined);
      worker.child.kill('SIGTERM');
      await worker.exited;
      await stack.startWorker();
    }
  });

  it('says what is wrong with a bad range, an unknown site, a site without a schedule or backfill --gaps without its site, exit 2', async () => {
    const badDate = await cli('coverage', '--from', '2026-02-30');
    expect([badDate.code, badDate.stderr]).toEqual([2, 'session-sync: --from "2026-02-30" is not an ISO-8601 date (2026-03-01) or date-time with its zone (2026-03-01T12:00:00Z)\n']);
    const noSite = await cli('backfill', '--gaps');
    expect([noSite.code, noSite.stderr]).toEqual([2, 'session-sync: backfill --gaps needs --site\n']);
    const forced = await cli('backfill', '--gaps', '--site', SITE, '--force');
    expect([forced.code, forced.stderr]).toEqual([2, "session-sync: backfill --gaps takes neither --force nor --window: it fetches what is missing, in the site's windows\n"]);
    const noSchedule = await cli('schedule', 'trigger', SITE);
    expect([noSchedule.code, noSchedule.stderr]).toEqual([2, `session-sync: site ${CUSTOMER}/${SITE} has no schedule on task queue ${stack.taskQueue} yet: create it with \`session-sync schedule apply\`, then trigger it\n`]);
    const noSuchCheck = await cli('check', '--site', 'nosuch');
    expect([noSuchCheck.code, noSuchCheck.stderr]).toEqual([2, `session-sync: site "nosuch" is not configured (${stack.configPath} has: ${CUSTOMER}/${SITE})\n`]);
    const unknown = await cli('coverage', '--site', 'nosuch');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^session-sync: site "nosuch" is not configured/);
  });
});
