import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillCommand, cancelBackfillCommand } from '../cli/backfill-command.js';
import { coverageCommand } from '../cli/coverage-command.js';
import { applySchedulesCommand, scheduleActionCommand } from '../cli/schedule-commands.js';
import { statusCommand } from '../cli/status-command.js';
import { planCommand } from '../cli/plan-command.js';
import { committedPages as countCommittedPages } from '../devstack/committed-pages.js';
import { obfuscateKey } from '../config/secret.js';
import { FullSessionSandbox } from '../devstack/sandboxes/fullsession/sandbox-server.js';
import { installTemporalRuntime } from '../worker/install-runtime.js';
import type { ScheduledSyncResult } from '../workflows/scheduled-sync-workflow.js';
import { KIND_ATTRIBUTE, SITE_ATTRIBUTE } from '../workflows/search-attributes.js';
import { scheduleId } from '../workflows/workflow-ids.js';
import { capturingLogger } from './support/capturing-logger.js';
import { storedAndTruth } from './support/compare-with-truth.js';
import { databaseText, historiesText } from './support/leak-scan.js';
import { startOperatorStack, type OperatorStack } from './support/operator-stack.js';
import { triggerScheduledRun } from './support/scheduled-run.js';
import { CUSTOMER, DAY, HOUR, newToken } from './support/sandbox-fixtures.js';
import { runCli, waitFor } from '../devstack/session-sync-process.js';

const MAIN = newToken();
const SCOPED = newToken();
const REVOKED = newToken();
const TOKENS = [MAIN, SCOPED, REVOKED];

/** Cron that never fires during a test (1 January): every run here is triggered. */
const configYaml = (overrides: { siteACron?: string; withSiteC?: boolean; ratePerMinute?: number } = {}) => `
credentials:
  main: { description: all sites, kind: fullsession-api-token, secret: { env: TEST_MAIN_TOKEN } }
  scoped: { description: only site-live, kind: fullsession-api-token, secret: { env: TEST_SCOPED_TOKEN } }
  revoked: { description: deleted in FullSession, kind: fullsession-api-token, secret: { env: TEST_REVOKED_TOKEN } }
defaults:
  schedule: { cron: "0 0 1 1 *", jitter: 0s, catchupWindow: 10m }
  # Backfills in 6-hour windows too: the tests below cancel and resume between windows.
  sync: { window: 6h, backfillWindow: 6h, maxSessionDuration: 4h, settleDelay: 2s, initialLookback: 10m }
accounts:
  ${CUSTOMER}:
    rateLimitPerMinute: ${overrides.ratePerMinute ?? 240}
    sites:
      site-a: { credential: main, schedule: { cron: "${overrides.siteACron ?? '0 0 1 1 *'}" } }
      # No daily sweep here (site-a's test has it): a first run in the 10 minutes after midnight UTC
      # starts in the day before, so the same run sweeps that whole day (86,400 sessions), longer
      # than the test waits (seen twice at 00:0x UTC).
      site-live: { credential: main, sync: { window: 1h, maxSessionDuration: 20m, sweepReachBack: 0s } }
      site-b: { credential: scoped }
${overrides.withSiteC === false ? '' : '      site-c: { credential: revoked }'}
`;

const { log, lines: logLines } = capturingLogger();
const printed: string[] = [];
const print = (line: string) => printed.push(line);

describe('operating session-sync from a config file', () => {
  let sandbox: FullSessionSandbox;
  let stack: OperatorStack;
  const today = Math.floor(Date.now() / DAY) * DAY;

  beforeAll(async () => {
    installTemporalRuntime(log);
    sandbox = await FullSessionSandbox.start({
      sites: [
        { customerId: CUSTOMER, siteId: 'site-a', sessionsPerHour: 30, maxSessionDurationMs: 4 * HOUR },
        { customerId: CUSTOMER, siteId: 'site-live', sessionsPerHour: 3600, maxSessionDurationMs: 20 * 60_000 },
        { customerId: CUSTOMER, siteId: 'site-b', sessionsPerHour: 5, maxSessionDurationMs: 4 * HOUR },
        { customerId: CUSTOMER, siteId: 'site-c', sessionsPerHour: 5, maxSessionDurationMs: 4 * HOUR },
      ],
      tokens: [
        { token: MAIN, customerId: CUSTOMER, sites: 'all' },
        { token: SCOPED, customerId: CUSTOMER, sites: ['site-live'] },
      ],
      activeFrom: today - 30 * DAY,
      pageSize: 200,
      limitPerMinute: null,
    });
    stack = await startOperatorStack({
      yaml: configYaml(),
      secrets: { TEST_MAIN_TOKEN: MAIN, TEST_SCOPED_TOKEN: SCOPED, TEST_REVOKED_TOKEN: REVOKED },
      apiUrl: sandbox.url,
      log,
    });
  });

  afterAll(async () => {
    await stack?.close();
    await sandbox?.close();
  });

  const requestsFor = (siteId: string) => sandbox.requests.filter((r) => r.siteId === siteId).length;

  it('check makes one request per site and tells ok, 401 and 403 apart; credentials list shows the outcome', async () => {
    const before = sandbox.requests.length;
    const all = await runCli(['check'], stack.env);

    expect(sandbox.requests.length - before).toBe(4);
    expect(all.code).toBe(1);
    const lines = all.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(`ok   ${CUSTOMER}/site-a with credential main (${obfuscateKey(MAIN)})`);
    expect(lines[1]).toBe(`ok   ${CUSTOMER}/site-live with credential main (${obfuscateKey(MAIN)})`);
    expect(lines[2]).toBe(
      `FAIL ${CUSTOMER}/site-b with credential scoped (${obfuscateKey(SCOPED)}): forbidden: FullSession refused credential scoped (${obfuscateKey(SCOPED)}) for site site-b of customer ${CUSTOMER} with 403: the token is not scoped to this site. Create a token scoped to it (or to all sites) and update the secret of scoped.`,
    );
    expect(lines[3]).toBe(
      `FAIL ${CUSTOMER}/site-c with credential revoked (${obfuscateKey(REVOKED)}): unauthorized: FullSession rejected credential revoked (${obfuscateKey(REVOKED)}) with 401: the token is wrong, revoked or deleted. Create a new token in FullSession (Settings → API Tokens) and update the secret of revoked.`,
    );

    const one = await runCli(['check', '--site', 'site-a'], stack.env);
    expect(one.code).toBe(0);
    expect(sandbox.requests.length - before).toBe(5);

    const list = await runCli(['credentials', 'list'], stack.env);
    expect(list.code).toBe(0);
    const rows = list.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^NAME\s+KIND\s+KEY\s+SOURCE\s+SITES\s+LAST CHECK\s+DESCRIPTION$/);
    expect(rows[1]).toMatch(new RegExp(`^main\\s+fullsession-api-token\\s+${escape(obfuscateKey(MAIN))}\\s+env TEST_MAIN_TOKEN\\s+${CUSTOMER}/site-a,${CUSTOMER}/site-live\\s+ok at \\S+Z\\s+all sites$`));
    expect(rows[2]).toMatch(new RegExp(`^scoped\\s+fullsession-api-token\\s+${escape(obfuscateKey(SCOPED))}\\s+env TEST_SCOPED_TOKEN\\s+${CUSTOMER}/site-b\\s+forbidden \\(${CUSTOMER}/site-b\\) at \\S+Z`));
    expect(rows[3]).toMatch(new RegExp(`^revoked\\s+fullsession-api-token\\s+${escape(obfuscateKey(REVOKED))}\\s+env TEST_REVOKED_TOKEN\\s+${CUSTOMER}/site-c\\s+unauthorized \\(${CUSTOMER}/site-c\\) at`));
    for (const output of [all, one, list]) expectNoToken(output.stdout + output.stderr);
  });

  it('schedule apply is idempotent, keeps a paused schedule paused and prunes only with --prune', async () => {
    const ids = ['site-a', 'site-live', 'site-b', 'site-c'].map((siteId) => scheduleId(stack.taskQueue, { customerId: CUSTOMER, siteId }));
    const created = await applySchedulesCommand(stack.config(), { prune: false }, print);
    expect([...created]).toEqual(ids.map((id) => [id, 'created']));
    const again = await applySchedulesCommand(stack.config(), { prune: false }, print);
    expect([...again]).toEqual(ids.map((id) => [id, 'unchanged']));

    await scheduleActionCommand(stack.config(), 'pause', 'site-a', 'maintenance', print);
    stack.writeConfig(configYaml({ siteACron: '30 0 1 1 *' }));
    const updated = await applySchedulesCommand(stack.config(), { prune: false }, print);
    expect([...updated]).toEqual([[ids[0], 'updated'], ...ids.slice(1).map((id) => [id, 'unchanged'])]);
    const siteA = await stack.client.schedule.getHandle(ids[0] as string).describe();
    expect(siteA.state.paused).toBe(true);
    expect(siteA.state.note).toMatch(/^paused by an operator at \S+: maintenance$/);
    expect(siteA.action.memo?.cron).toBe('30 0 1 1 *');
    await scheduleActionCommand(stack.config(), 'resume', 'site-a', undefined, print);

    stack.writeConfig(configYaml({ withSiteC: false }));
    await waitFor(async () => (await applySchedulesCommand(stack.config(), { prune: false }, print)).get(ids[3] as string) === 'orphaned', 30_000, 'the removed site to be listed');
    const pruned = await applySchedulesCommand(stack.config(), { prune: true }, print);
    expect(pruned.get(ids[3] as string)).toBe('deleted');
    stack.writeConfig(configYaml());
    expect((await applySchedulesCommand(stack.config(), { prune: true }, print)).get(ids[3] as string)).toBe('created');
  });

  it('a scheduled run syncs from the watermark, and the next run picks up sessions that ended after the first', async () => {
    await stack.startWorker();
    const first = await triggerAndWait('site-live');
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    // A long backfill of another site of the same account competes for the rate budget.
    const competing = { site: 'site-a', from: new Date(today - 30 * DAY).toISOString(), to: new Date(today - 12 * DAY).toISOString(), force: false };
    await backfillCommand(stack.config(), { ...competing, detach: true }, print);
    const second = await triggerAndWait('site-live');
    const competingId = `backfill:${stack.taskQueue}:fullsession:${CUSTOMER}:site-a:${competing.from}:${competing.to}`;
    expect((await stack.client.workflow.getHandle(competingId).describe()).status.name).toBe('RUNNING');
    await cancelBackfillCommand(stack.config(), competingId, print);

    expect(first.totals.pages).toBeGreaterThan(0);
    expect(second.from).toBe(first.to);
    expect(second.to - first.to).toBeGreaterThanOrEqual(6_000);
    const { stored, truth } = await storedAndTruth(stack.database.db, sandbox, first.from, second.to, 'site-live');
    // About 3,600 sessions an hour over a 10-minute initial lookback; how many have ENDED varies with the generator's
    // draw (296 in one CI run): the bound only says the range is not near empty, the equality below is the check.
    expect(Object.keys(truth).length).toBeGreaterThan(100);
    expect(stored).toEqual(truth);
    expect(await countRows('site-live')).toBe(Object.keys(truth).length);
    const lateEnders = sandbox.groundTruth(CUSTOMER, 'site-live', first.to, second.to).filter((s) => s.startTime < first.to);
    expect(lateEnders.length).toBeGreaterThan(0);
    const watermark = await stack.database.db.selectFrom('sync_watermarks').select('synced_until').where('site_id', '=', 'site-live').executeTakeFirstOrThrow();
    expect(watermark.synced_until.getTime()).toBe(second.to);
  });

  it('a revoked key fails the run once and pauses the schedule with the reason', async () => {
    const before = requestsFor('site-c');
    await stack.client.schedule.getHandle(scheduleId(stack.taskQueue, { customerId: CUSTOMER, siteId: 'site-c' })).trigger();
    await waitFor(async () => (await stack.client.schedule.getHandle(scheduleId(stack.taskQueue, { customerId: CUSTOMER, siteId: 'site-c' })).describe()).state.paused, 60_000, 'site-c paused');
    const description = await stack.client.schedule.getHandle(scheduleId(stack.taskQueue, { customerId: CUSTOMER, siteId: 'site-c' })).describe();
    expect(description.state.note).toMatch(
      new RegExp(`^paused by session-sync at \\S+: FullSession rejected credential revoked \\(${escape(obfuscateKey(REVOKED))}\\) with 401: the token is wrong, revoked or deleted\\.`),
    );
    expect(requestsFor('site-c') - before).toBe(1);
  });

  it('backfill: a second start attaches, done windows cost nothing, cancel stops between pages and a restart resumes exactly', async () => {
    const config = stack.config();
    const range = { site: 'site-a', from: new Date(today - 10 * DAY).toISOString(), to: new Date(today - 8 * DAY).toISOString(), force: false };
    printed.length = 0;
    await backfillCommand(config, { ...range, detach: true }, print);
    await backfillCommand(config, { ...range, detach: true }, print);
    expect(printed.filter((line) => line.startsWith('started backfill'))).toHaveLength(1);
    expect(printed.filter((line) => line.startsWith('attached to running backfill'))).toHaveLength(1);
    const workflowId = `backfill:${stack.taskQueue}:fullsession:${CUSTOMER}:site-a:${range.from}:${range.to}`;
    const totals = await stack.client.workflow.getHandle(workflowId).result();
    const description = await stack.client.workflow.getHandle(workflowId).describe();
    expect(description.typedSearchAttributes.get(SITE_ATTRIBUTE)).toBe('site-a');
    expect(description.typedSearchAttributes.get(KIND_ATTRIBUTE)).toBe('backfill');
    expect(await description.memo).toEqual({ source: 'fullsession', site: `${CUSTOMER}/site-a`, kind: 'backfill', from: range.from, to: range.to });
    expect(totals.windowsDone).toBe(8);
    expect(totals.requests).toBe(totals.pages);
    const requestsAfterFirst = requestsFor('site-a');
    const rerun = await backfillCommand(config, { ...range, detach: false }, print);
    expect(rerun).toMatchObject({ windowsDone: 8, pages: 0, requests: 0 });
    expect(requestsFor('site-a')).toBe(requestsAfterFirst);

    const long = { site: 'site-a', from: new Date(today - 7 * DAY).toISOString(), to: new Date(today - 2 * DAY).toISOString(), force: false };
    const longId = `backfill:${stack.taskQueue}:fullsession:${CUSTOMER}:site-a:${long.from}:${long.to}`;
    const requestsBefore = requestsFor('site-a');
    await backfillCommand(config, { ...long, detach: true }, print);
    await waitFor(async () => (await committedPages(long)) >= 4, 60_000, '4 committed pages');

    const running = await statusCommand(config, stack.database.db, { json: true }, print);
    const siteA = running.sites.find((site) => site.siteId === 'site-a');
    const backfill = siteA?.running.find((run) => run.workflowId === longId);
    expect(backfill?.kind).toBe('backfill');
    expect(backfill?.progress?.windowsTotal).toBe(20);
    expect(backfill?.progress?.percent).toBeLessThan(100);
    expect(backfill?.progress?.etaMs).toBeGreaterThan(0);

    printed.length = 0;
    await cancelBackfillCommand(config, longId, print);
    expect(printed).toEqual([`backfill ${longId} cancelled between pages; its checkpoints are intact. Start the same backfill again to resume.`]);
    const cancelledRun = await stack.database.db.selectFrom('sync_runs').select(['status', 'pages']).where('workflow_id', '=', longId).executeTakeFirstOrThrow();
    expect(cancelledRun.status).toBe('cancelled');
    expect(cancelledRun.pages).toBeLessThan(40);
    expect(requestsFor('site-a') - requestsBefore).toBe(await committedPages(long));

    const resumed = await backfillCommand(config, { ...long, detach: false }, print);
    expect(resumed?.windowsDone).toBe(20);
    const { stored, truth } = await storedAndTruth(stack.database.db, sandbox, Date.parse(long.from), Date.parse(long.to), 'site-a');
    expect(Object.keys(truth).length).toBeGreaterThan(1000);
    expect(stored).toEqual(truth);
    expect(requestsFor('site-a') - requestsBefore).toBe(await committedPages(long));
  });

  it('the first scheduled run after a day settled sweeps that day again with a 24-hour reach-back, storing every session that ended in it', async () => {
    await triggerAndWait('site-a');
    const mark = () => stack.database.db.selectFrom('sync_watermarks').select('swept_until').where('site_id', '=', 'site-a').executeTakeFirstOrThrow();
    // The site's first run marks today as where its sweeps start: nothing to sweep yet.
    expect((await mark()).swept_until?.getTime()).toBe(today);
    // As if yesterday's runs had reached back only 30 minutes: yesterday waits for its sweep.
    await stack.database.db.updateTable('sync_watermarks').set({ swept_until: new Date(today - DAY) }).where('site_id', '=', 'site-a').execute();
    const run = await triggerAndWait('site-a');

    expect(run.swept).toMatchObject({ from: today - DAY, to: today, totals: { windowsDone: 1 } });
    expect((await mark()).swept_until?.getTime()).toBe(today);
    const { stored, truth } = await storedAndTruth(stack.database.db, sandbox, today - DAY, today, 'site-a');
    // 30 sessions an hour, up to 4 hours long: some of them started the day before.
    const longOnes = sandbox.groundTruth(CUSTOMER, 'site-a', today - DAY, today).filter((s) => s.endTime - s.startTime > 30 * 60_000);
    expect(longOnes.length).toBeGreaterThan(10);
    expect(Object.keys(truth).length).toBeGreaterThan(300);
    expect(stored).toEqual(truth);
  });

  it('status shows every site in one table and explains paused schedules and failures; no output holds a key', async () => {
    const report = await statusCommand(stack.config(), stack.database.db, { json: true }, print);
    const bySite = new Map(report.sites.map((site) => [site.siteId, site]));
    expect([...bySite.keys()]).toEqual(['site-a', 'site-live', 'site-b', 'site-c']);
    expect(bySite.get('site-a')?.sessionsStored).toBe(await countRows('site-a'));
    expect(Date.now() - (bySite.get('site-live')?.freshUntil ?? 0)).toBeLessThan(10 * 60_000);
    // Its runs reach back its whole 20-minute maximum session: complete as far as they went.
    expect(bySite.get('site-live')?.watermark).toBe(bySite.get('site-live')?.freshUntil);
    expect(bySite.get('site-live')?.freshness.state).toBe('fresh');
    // The claim behind the watermark: every session that ended between a site's first synced instant and it is stored.
    const { sites: coverage } = await coverageCommand(stack.config(), stack.database.db, { json: true, counts: false }, () => {});
    const claimed = coverage.filter((site) => site.watermark !== null && site.watermark > site.from);
    expect(claimed.map((site) => site.siteId)).toEqual(expect.arrayContaining(['site-a', 'site-live']));
    for (const site of claimed) {
      expect(site.watermark).toBe(bySite.get(site.siteId)?.watermark);
      const { stored, truth } = await storedAndTruth(stack.database.db, sandbox, site.from, site.watermark!, site.siteId);
      expect(Object.keys(truth).length, site.siteId).toBeGreaterThan(0);
      expect(stored, site.siteId).toEqual(truth);
    }
    expect(bySite.get('site-c')?.schedule.state).toBe('paused');
    expect(bySite.get('site-c')?.lastFailure?.message).toContain(`FullSession rejected credential revoked (${obfuscateKey(REVOKED)}) with 401`);
    expect(bySite.get('site-b')?.lastFailure).toBeNull();
    // Every request any process made went through the account's budget and its log: checks, runs, backfills.
    const spent = sandbox.requests.length;
    expect(report.accounts).toEqual([{ source: 'fullsession', account: CUSTOMER, ratePerMinute: 240, lastHour: spent, hourBudget: 14_400, lastDay: spent, dayBudget: 345_600 }]);

    const cli = await runCli(['status'], stack.env);
    expect(cli.code).toBe(0);
    const [header, ...rest] = cli.stdout.trim().split('\n');
    expect(header).toMatch(/^SOURCE\s+SITE\s+SCHEDULE\s+FRESHNESS\s+COPY\s+LAST SUCCESS\s+STORED\s+RUNNING\s+LAST FAILURE$/);
    expect(rest[0]).toMatch(new RegExp(`^fullsession\\s+${CUSTOMER}/site-a\\s+active\\s+${bySite.get('site-a')?.freshness.state}\\s+complete to [^;]+ ago; fresh to [^;]+ ago\\s+\\S+Z\\s+${bySite.get('site-a')?.sessionsStored} sessions\\s+-\\s+-$`));
    expect(rest).toContain(`${CUSTOMER}/site-c: schedule paused: ${bySite.get('site-c')?.schedule.note}`);
    const budgetHeader = rest.findIndex((line) => /^SOURCE\s+ACCOUNT\s+BUDGET\s+LAST HOUR\s+LAST DAY$/.test(line));
    expect(rest[budgetHeader + 1]).toMatch(new RegExp(`^fullsession\\s+${CUSTOMER}\\s+240/min\\s+${spent} of 14400 \\(\\d+%\\)\\s+${spent} of 345600 \\(\\d+%\\)$`));

    expectNoToken(cli.stdout + cli.stderr);
    expectNoToken(printed.join('\n'));
    expectNoToken(logLines.join(''));
    expect(logLines.some((line) => line.includes('"msg":"window synced"'))).toBe(true);
    expectNoToken(await databaseText(stack.database.db));
    const histories = await historiesText(stack.client, stack.taskQueue);
    expect(histories.count).toBeGreaterThan(5);
    expectNoToken(histories.text);
  });

  it('plan: the budget, what was spent, what the schedules cost from the traffic stored, a backfill in the headroom, and a cadence that fits when they take too much', async () => {
    const plan = await planCommand(stack.config(), stack.database.db, { days: 30, json: true }, print);
    const [account] = plan.accounts;
    expect(account).toMatchObject({ source: 'fullsession', account: CUSTOMER, ratePerMinute: 240, dayBudget: 345_600, spentLastDay: sandbox.requests.length, warning: null });
    const siteA = account!.sites.find((site) => site.siteId === 'site-a')!;
    // The week before today holds six whole days of site-a: the backfill of days 7 to 2 back and yesterday's sweep.
    const synced = [...sandbox.groundTruth(CUSTOMER, 'site-a', today - 7 * DAY, today - 2 * DAY), ...sandbox.groundTruth(CUSTOMER, 'site-a', today - DAY, today)];
    // The daily mean, rounded: at a mean of exactly .5 the sum of 24 hourly averages may fall either side of it.
    expect(Math.abs(siteA.sessionsPerDay! - synced.length / 6)).toBeLessThanOrEqual(0.5);
    // Its cron fires on 1 January only: a day costs the sweep, which reads two days of sessions.
    expect(siteA).toMatchObject({ runsPerDay: 0, sweep: true, requestsPerDay: Math.floor((2 * synced.length) / 6 / 1000) + 1 });
    expect(siteA.backfill?.hours).toBeGreaterThan(0);
    // No data yet for the others: listed without figures.
    expect(account!.sites.filter((site) => site.sessionsPerDay === null).map((site) => site.siteId)).toEqual(['site-live', 'site-b', 'site-c']);

    // Every minute on a budget of one request a minute: each run is a page, 1,440 of them, one more for
    // each of the four runs whose range crosses a 6-hour window's edge, and the sweep's two.
    stack.writeConfig(configYaml({ siteACron: '* * * * *', ratePerMinute: 1 }));
    try {
      const tight = await planCommand(stack.config(), stack.database.db, { days: 30, json: true }, print);
      expect(tight.accounts[0]!.schedulesPerDay).toBe(1_446);
      expect(tight.accounts[0]!.warning).toBe(
        `the schedules of ${CUSTOMER} would take 100% of its 1,440 requests a day (more than 80%), leaving little for backfills and retries: run them every 30 minutes (cron "*/30 * * * *": 54 requests a day, 4%)`,
      );
      const cli = await runCli(['plan'], stack.env);
      expect(cli.code).toBe(0);
      const lines = cli.stdout.trim().split('\n');
      expect(lines[0]).toMatch(new RegExp(`^fullsession/${CUSTOMER}: 1 requests a minute, 1,440 a day; spent \\d+ in the last hour, \\d+ in the last day$`));
      expect(lines[1]).toMatch(/^SITE\s+SCHEDULE\s+RUNS\/DAY\s+SESSIONS\/DAY\s+REQUESTS\/DAY\s+COMPLETE WITHIN\s+30-DAY BACKFILL$/);
      // Complete within the 2 s settle delay, a minute between runs and the day the sweep waits for.
      expect(lines[2]).toMatch(new RegExp(`^site-a\\s+\\* \\* \\* \\* \\*\\s+1440\\+sweep\\s+${siteA.sessionsPerDay}\\s+1,446\\s+24h 1m\\s+\\d+ requests, no headroom$`));
      expect(lines.at(-1)).toBe(`warning: ${tight.accounts[0]!.warning}`);
    } finally {
      stack.writeConfig(configYaml());
    }
  });

  function triggerAndWait(siteId: string): Promise<ScheduledSyncResult> {
    return triggerScheduledRun(stack.client, scheduleId(stack.taskQueue, { customerId: CUSTOMER, siteId }));
  }

  function committedPages(range: { from: string; to: string }): Promise<number> {
    return countCommittedPages(stack.database.db, { siteId: 'site-a', from: Date.parse(range.from), to: Date.parse(range.to) });
  }

  async function countRows(siteId: string): Promise<number> {
    const row = await stack.database.db.selectFrom('fullsession_sessions').select(sql<string>`count(*)`.as('n')).where('site_id', '=', siteId).executeTakeFirstOrThrow();
    return Number(row.n);
  }
});

function expectNoToken(text: string): void {
  for (const token of TOKENS) expect(text).not.toContain(token);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
