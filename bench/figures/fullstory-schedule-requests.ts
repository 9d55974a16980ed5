import { randomBytes } from 'node:crypto';
import { ensureSearchAttributes } from '../../temporal/ensure-search-attributes.js';
import { siteScheduleOptions } from '../../cli/site-schedule-options.js';
import { loadConfig } from '../../config/load-config.js';
import { createScratchDatabase } from '../../devstack/scratch-database.js';
import { waitFor } from '../../devstack/session-sync-process.js';
import { FullStorySandbox } from '../../devstack/sandboxes/fullstory/fullstory-sandbox.js';
import { planBudgets } from '../../operations/budget-plan.js';
import { DAY, HOUR, T0, type BenchStack } from '../bench-stack.js';
import { startFullStoryBenchWorker } from '../fullstory-bench-worker.js';

export interface FullStoryScheduleFigure {
  /** API requests (create, polls, results) a day of hourly runs made, measured at the sandbox. */
  requestsPerDay: number;
  /** What `session-sync plan` predicts for that schedule the day after, from the runs it recorded. */
  plannedRequestsPerDay: number;
  /** The exports those runs created. */
  exportsPerDay: number;
  runs: number;
}

const ORG = 'o-plan-na1';
/** The day measured starts after a first run whose initial lookback is not counted. */
const DAY_START = T0 + 10 * DAY;

/**
 * A day of an hourly FullStory schedule with the defaults (1-day windows,
 * the trailing day re-exported each run), run by a real Temporal Schedule
 * created as `schedule apply` creates it and backfilled over the day, so
 * each run has its own nominal time; the requests the sandbox answered that
 * day against what `plan` predicts the day after. The sandbox keeps an
 * export pending for 1 to 3 polls (varying, as FullStory's export time does).
 */
export async function measureFullStoryScheduleRequests(stack: BenchStack): Promise<FullStoryScheduleFigure> {
  const key = `na1.${randomBytes(24).toString('base64url')}/PLANKEY`;
  const sandbox = await FullStorySandbox.start({ orgs: [{ orgId: ORG, eventsPerHour: 200 }], keys: [{ key, orgId: ORG, role: 'ARCHITECT', email: 'bench@example.com' }], pendingPolls: 1, pendingPollsSpread: 2 });
  const database = await createScratchDatabase(stack.adminDatabaseUrl, { prefix: 'session_sync_bench' });
  const taskQueue = `bench-fullstory-plan-${Date.now()}`;
  const { worker, env } = await startFullStoryBenchWorker(stack, database, sandbox, { orgId: ORG, key, taskQueue, sites: "      events: { credential: bench, schedule: { cron: '0 * * * *', jitter: 0s } }", pollInterval: '100ms' });
  try {
    await ensureSearchAttributes(stack.client, 'default');
    const site = loadConfig(env).sites.sites[0]!;
    const handle = await stack.client.schedule.create({ ...siteScheduleOptions(site, taskQueue), state: { paused: true, note: 'benchmark: runs by backfill only' } });
    const settledUntil = (slot: number) => slot - site.sync.settleDelayMs;
    const runSlots = async (from: number, to: number) => {
      await handle.backfill({ start: new Date(from), end: new Date(to), overlap: 'BUFFER_ALL' });
      const lastSlot = Math.floor(to / HOUR) * HOUR;
      await waitFor(async () => ((await database.db.selectFrom('sync_watermarks').select('synced_until').executeTakeFirst())?.synced_until.getTime() ?? 0) >= settledUntil(lastSlot), 30 * 60_000, `the scheduled run of ${new Date(lastSlot).toISOString()}`);
      // The last run may still be recording its end after the watermark moved.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    };
    const apiRequests = () => sandbox.requests.filter((request) => !request.path.startsWith('/_files/') && request.path !== '/me');
    await runSlots(DAY_START - HOUR, DAY_START - 1);
    const before = apiRequests().length;
    const exportsBefore = apiRequests().filter((request) => request.method === 'POST').length;
    await runSlots(DAY_START, DAY_START + DAY - 1);
    const requestsPerDay = apiRequests().length - before;
    const exportsPerDay = apiRequests().filter((request) => request.method === 'POST').length - exportsBefore;
    await handle.delete();
    const plan = await planBudgets(database.db, [site], { now: DAY_START + DAY, backfillDays: 30, warnShare: 0.8 });
    return { requestsPerDay, plannedRequestsPerDay: plan.accounts[0]!.sites[0]!.requestsPerDay ?? Number.NaN, exportsPerDay, runs: 24 };
  } finally {
    worker.child.kill('SIGKILL');
    await worker.exited;
    await sandbox.close();
    await database.drop();
  }
}
