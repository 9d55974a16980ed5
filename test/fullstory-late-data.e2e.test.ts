import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planCommand } from '../cli/plan-command.js';
import { applySchedulesCommand } from '../cli/schedule-commands.js';
import { runCli } from '../devstack/session-sync-process.js';
import { FullStorySandbox } from '../devstack/sandboxes/fullstory/fullstory-sandbox.js';
import { installTemporalRuntime } from '../worker/install-runtime.js';
import { scheduleId } from '../workflows/workflow-ids.js';
import { capturingLogger } from './support/capturing-logger.js';
import { startOperatorStack, type OperatorStack } from './support/operator-stack.js';
import { storedFullStoryRows } from './support/fullstory-rows.js';
import { triggerScheduledRun } from './support/scheduled-run.js';

const ORG = 'o-1G1-na1';
const KEY = `na1.${randomBytes(24).toString('base64url')}/LATEDAT`;
const MINUTE = 60_000;

/** The org's one events stream; 6-hour windows, the trailing day exported again on each run (the least that lets its events settle). */
const configYaml = (options: { cron?: string; ratePerMinute?: number } = {}) => `credentials:
  fs: { kind: fullstory-api-key, secret: { env: FS_KEY } }
accounts:
  ${ORG}:
    source: fullstory
    rateLimitPerMinute: ${options.ratePerMinute ?? 100000}
    sites:
      events:
        credential: fs
        schedule: { cron: "${options.cron ?? '0 0 1 1 *'}", jitter: 0s, catchupWindow: 10m }
        sync: { window: 6h, settleDelay: 2s, initialLookback: 2h, refreshTrailing: 24h }
`;

/** FullStory settles data within about a day: scheduled runs export a trailing period again, so late rows land. */
describe('FullStory data that arrives late', () => {
  const { log } = capturingLogger('warn');
  let sandbox: FullStorySandbox;
  let stack: OperatorStack;

  beforeAll(async () => {
    installTemporalRuntime(log);
    sandbox = await FullStorySandbox.start({ orgs: [{ orgId: ORG, eventsPerHour: 120 }], keys: [{ key: KEY, orgId: ORG, role: 'ARCHITECT', email: 'etl@example.com' }], pendingPolls: 0 });
    stack = await startOperatorStack({
      yaml: configYaml(),
      secrets: { FS_KEY: KEY },
      env: { FULLSTORY_API_URL: sandbox.url, FULLSTORY_EU_API_URL: sandbox.url, FULLSTORY_POLL_INTERVAL: '50ms' },
      log,
    });
    await stack.startWorker();
    await applySchedulesCommand(stack.config(), { prune: false }, () => {});
  });
  afterAll(async () => {
    await stack?.close();
    await sandbox?.close();
  });

  const triggerAndWait = () => triggerScheduledRun(stack.client, scheduleId(stack.taskQueue, { source: 'fullstory', customerId: ORG, siteId: 'events' }));

  const stored = async (from: number, to: number) =>
    (await storedFullStoryRows(stack.database.db, ORG, from, to)).map((row) => JSON.stringify(row, Object.keys(row).sort())).sort();
  const truth = (from: number, to: number) => sandbox.events(ORG, from, to).map((row) => JSON.stringify(row, Object.keys(row).sort())).sort();

  let apiRequestsBeforeRuns = 0;
  const windowsExported: number[] = [];

  it('the next scheduled run exports the trailing period again, and the late event lands with its session', async () => {
    apiRequestsBeforeRuns = apiRequests().length;
    const first = await triggerAndWait();
    windowsExported.push(first.totals.windowsDone);
    expect(await stored(first.from, first.to)).toEqual(truth(first.from, first.to));
    const late: Record<string, unknown> = { ...sandbox.events(ORG, first.from, first.to)[0]!, EventType: 'click', EventStart: new Date(first.to - 45 * MINUTE).toISOString(), PageUrl: 'https://shop.example/late' };
    sandbox.addLateEvents(ORG, [late]);

    const second = await triggerAndWait();
    windowsExported.push(second.totals.windowsDone);
    expect(second.from).toBe(first.to - 24 * 60 * MINUTE);
    expect(await stored(first.from, second.to)).toEqual(truth(first.from, second.to));
    expect(await stored(first.from, second.to)).toContain(JSON.stringify(late, Object.keys(late).sort()));
    const session = await stack.database.db.selectFrom('fullstory_sessions').select(['event_count']).where('session_id', '=', String(late.SessionId)).executeTakeFirstOrThrow();
    // Its session counts every synced event of it, the late one included.
    expect(session.event_count).toBe(sandbox.events(ORG, second.from, second.to).filter((row) => row.SessionId === late.SessionId).length);
  });

  it('plan: a window costs what its exports cost in the runs, times the windows each schedule exports', async () => {
    // The two runs above: every API request (create, polls, results; not the file downloads) over their windows.
    const windows = windowsExported.reduce((a, b) => a + b, 0);
    const requestsPerWindow = (apiRequests().length - apiRequestsBeforeRuns) / windows;
    // Hourly on a budget of one request a minute: each run exports from a day before the last one's end,
    // 25 h in all, shifted 2 s by the settle delay: the 6-hour windows that range touches, 24 runs a day.
    stack.writeConfig(configYaml({ cron: '0 * * * *', ratePerMinute: 1 }));
    try {
      const hourly = await planCommand(stack.config(), stack.database.db, { days: 30, json: false }, () => {});
      const [site] = hourly.accounts[0]!.sites;
      expect(site).toMatchObject({ source: 'fullstory', basis: 'windows', sessionsPerDay: null, requestsPerWindow, requestsPerDay: Math.round(windowsADay(60) * requestsPerWindow) });
      expect(windowsADay(60)).toBe(4 * 6 + 20 * 5);
      // A 30-day backfill exports 30 days of 6-hour windows.
      expect(site!.backfill?.requests).toBe(Math.round(30 * 4 * requestsPerWindow));
      expect(hourly.accounts[0]!.warning).toBeNull();

      // Every minute: far over the budget; the warning names the first cadence that fits, with its cost.
      stack.writeConfig(configYaml({ cron: '* * * * *', ratePerMinute: 1 }));
      const cli = await runCli(['plan'], stack.env);
      expect(cli.code).toBe(0);
      const lines = cli.stdout.trim().split('\n');
      expect(lines[2]).toMatch(new RegExp(`^events\\s+\\* \\* \\* \\* \\*\\s+1440\\s+-\\s+[\\d,]+ \\(${requestsPerWindow.toFixed(1)} a window\\)\\s+24h 1m\\s+[\\d,]+ requests, no headroom$`));
      const cadence = Number(/: run them every (\d+) minutes \(cron /.exec(lines.at(-1) ?? '')?.[1]);
      const fits = Math.round(windowsADay(cadence) * requestsPerWindow);
      expect(fits).toBeLessThanOrEqual(0.8 * 1440);
      expect(lines.at(-1)).toMatch(new RegExp(`: run them every ${cadence} minutes \\(cron "\\*/${cadence} \\* \\* \\* \\*": ${fits.toLocaleString('en')} requests a day, ${Math.round((fits / 1440) * 100)}%\\)$`));
    } finally {
      stack.writeConfig(configYaml());
    }
  });

  /**
   * The 6-hour windows a day of runs every `minutes` exports: each run from a
   * day before the previous run's end to its own, both 2 s before the fire.
   */
  function windowsADay(minutes: number): number {
    const [window, every, day] = [6 * 60 * MINUTE, minutes * MINUTE, 24 * 60 * MINUTE];
    let windows = 0;
    for (let fire = day; fire < 2 * day; fire += every) {
      const [from, to] = [fire - every - 2_000 - day, fire - 2_000];
      windows += Math.floor((to - 1) / window) - Math.floor(from / window) + 1;
    }
    return windows;
  }

  /** The org's API requests so far: every authorised call but the key checks (`/me`). */
  function apiRequests() {
    return sandbox.requests.filter((request) => request.authorized && request.orgId === ORG && !request.path.startsWith('/me'));
  }
});
