import type { Kysely } from 'kysely';
import { siteScheduleOptions } from '../../cli/site-schedule-options.js';
import { coveredWindows } from '../../db/coverage-repository.js';
import type { Database } from '../../db/database.js';
import { coverageStates } from '../../read-model/coverage-states.js';
import { completenessRule } from '../../read-model/site-coverage.js';
import { streamKeyOf } from '../../workflows/stream-key.js';
import { ensureSearchAttributes } from '../../temporal/ensure-search-attributes.js';
import type { SiteConfig } from '../../config/site-config.js';
import { ENV_CREDENTIAL_NAME } from '../../config/sites-from-env.js';
import { waitFor } from '../../devstack/session-sync-process.js';
import { planBudgets } from '../../operations/budget-plan.js';
import { CUSTOMER, DAY, HOUR, startScenario, T0, type BenchStack, type Scenario } from '../bench-stack.js';

export interface ScheduleRequestsFigure {
  /** Requests a day of a 15-minute schedule with the default plan: 30-minute reach-back and the daily sweep. */
  requestsPerDay: number;
  /** The same day with the plan before it: every run reaching back the 4-hour maximum session duration, no sweep. */
  previousRequestsPerDay: number;
  /** What `session-sync plan` predicts for the default plan, from the sessions stored by then. */
  plannedRequestsPerDay: number;
  sessionsPerDay: number;
  /** What those requests buy: the longest the default plan's watermark stayed behind a run's nominal time over the day. */
  worstWatermarkLagMs: number;
  /** What `plan` says that lag is at most. */
  plannedWatermarkLagMs: number;
}

const MINUTE = 60_000;
const SETTLE = 30 * MINUTE;
/** The measured day starts after two days of history, so the sweep has a whole day to read. */
const DAY_START = T0 + 3 * DAY;

/**
 * A day of a 15-minute schedule on the realistic profile (50,000 sessions a
 * day following the day, sessions up to 4 h), run by real Temporal
 * Schedules: each site's schedule is created from its config as `schedule
 * apply` creates it, then backfilled over the day, so every run has its own
 * nominal time. One site has the default plan, the other the plan before it.
 */
export async function measureScheduleRequests(stack: BenchStack): Promise<ScheduleRequestsFigure> {
  const profile = { sessionsPerHour: 50_000 / 24, maxSessionDurationMs: 4 * HOUR, dailyCycle: true };
  const sites = ['swept', 'previous'];
  const scenario = await startScenario(stack, 'schedule', sites, { limitPerMinute: null, ratePerMinute: 1_000_000, profile });
  try {
    await ensureSearchAttributes(stack.client, 'default');
    await scenario.startWorkers(1);
    const taskQueue = scenario.taskQueue;
    const plans = { swept: siteConfig('swept', 24 * HOUR), previous: siteConfig('previous', 0) };
    const handles = await Promise.all(Object.values(plans).map((site) => stack.client.schedule.create({ ...siteScheduleOptions(site, taskQueue), state: { paused: true, note: 'benchmark: runs by backfill only' } })));
    // A first run each (its initial lookback reads a day): not counted.
    await runDay(scenario, handles, DAY_START - 15 * MINUTE, DAY_START - 1);
    const before = requestsBySite(scenario);
    await runDay(scenario, handles, DAY_START, DAY_START + DAY - 1);
    const after = requestsBySite(scenario);
    await Promise.all(handles.map((handle) => handle.delete()));
    const sessionsPerDay = scenario.sandbox.groundTruth(CUSTOMER, 'swept', DAY_START, DAY_START + DAY).length;
    // The planner the day after, from what the database holds, as an operator would run it.
    const plan = await planBudgets(scenario.database.db, [plans.swept], { now: DAY_START + DAY, backfillDays: 30, warnShare: 0.8 });
    const planned = plan.accounts[0]!.sites[0]!;
    const worstWatermarkLagMs = await worstWatermarkLag(scenario.database.db, plans.swept, DAY_START, DAY_START + DAY);
    return { requestsPerDay: after.swept - before.swept, previousRequestsPerDay: after.previous - before.previous, plannedRequestsPerDay: planned.requestsPerDay ?? Number.NaN, sessionsPerDay, worstWatermarkLagMs, plannedWatermarkLagMs: planned.watermarkLagMs };
  } finally {
    await scenario.close();
  }
}

function siteConfig(siteId: string, sweepReachBackMs: number): SiteConfig {
  return {
    source: 'fullsession',
    customerId: CUSTOMER,
    siteId,
    credentialName: ENV_CREDENTIAL_NAME,
    ratePerMinute: 1_000_000,
    schedule: { cron: '*/15 * * * *', timezone: 'UTC', jitterMs: 0, catchupWindowMs: HOUR, runTimeoutMs: HOUR },
    sync: { windowMs: DAY, backfillWindowMs: 90 * DAY, maxSessionDurationMs: 4 * HOUR, settleDelayMs: SETTLE, initialLookbackMs: DAY, refreshTrailingMs: 0, freshReachBackMs: 30 * MINUTE, sweepReachBackMs, partitionSpan: '1d', retentionMs: null, retentionDetachOnly: false },
    freshness: null,
  };
}

/** Runs each schedule at every 15-minute slot of [from, to] (Temporal schedule backfill, one run at a time) and waits for the last. */
async function runDay(scenario: Scenario, handles: Array<{ backfill: (options: { start: Date; end: Date; overlap: 'BUFFER_ALL' }) => Promise<void> }>, from: number, to: number): Promise<void> {
  await Promise.all(handles.map((handle) => handle.backfill({ start: new Date(from), end: new Date(to), overlap: 'BUFFER_ALL' })));
  const lastSlot = Math.floor(to / (15 * MINUTE)) * 15 * MINUTE;
  // A run moves its watermark, then sweeps: done when the sweeping site's mark has reached the last settled day too.
  const settledDay = Math.floor((lastSlot - SETTLE) / DAY) * DAY;
  const reached = async () => {
    const rows = await scenario.database.db.selectFrom('sync_watermarks').select(['site_id', 'synced_until', 'swept_until']).execute();
    const swept = rows.find((row) => row.site_id === 'swept');
    return rows.length === handles.length && rows.every((row) => row.synced_until.getTime() >= lastSlot - SETTLE) && (swept?.swept_until?.getTime() ?? 0) >= settledDay;
  };
  await waitFor(reached, 30 * MINUTE, `the scheduled runs up to ${new Date(lastSlot).toISOString()}`);
  // The last run may still be ending after its marks moved: no request is left, but let it end.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
}

/**
 * The watermark's worst lag over the day's runs, replayed from the coverage
 * ledger: the runs ran back to back in real time for nominal times of the
 * past, so each ledger row is dated by the nominal time of the run that
 * wrote it (a sweep by the run that started it), and before each run the
 * watermark is computed from the rows of the runs before it, as the status
 * would have shown it at that run's nominal time.
 */
async function worstWatermarkLag(db: Kysely<Database>, site: SiteConfig, from: number, to: number): Promise<number> {
  const stream = streamKeyOf(site);
  const runs = await db.selectFrom('sync_runs').select(['workflow_id', 'range_end', 'started_at', 'finished_at']).where('site_id', '=', site.siteId).where('kind', '=', 'scheduled').orderBy('started_at').execute();
  let nominal = Number.NaN;
  const dated = runs.map((run) => {
    // A sweep runs right after its run's new range, in the same scheduled run.
    if (!run.workflow_id.endsWith(':sweep')) nominal = run.range_end.getTime() + site.sync.settleDelayMs;
    return { started: run.started_at.getTime(), finished: run.finished_at?.getTime() ?? Infinity, nominal };
  });
  const windows = (await coveredWindows(db, stream)).map((window) => {
    const run = dated.find((candidate) => window.syncedAt >= candidate.started && window.syncedAt <= candidate.finished);
    if (!run) throw new Error(`no run wrote the ledger row of ${new Date(window.from).toISOString()}`);
    return { ...window, syncedAt: run.nominal };
  });
  const rule = completenessRule(site);
  let worst = 0;
  for (const at of new Set(dated.map((run) => run.nominal).filter((time) => time >= from && time < to))) {
    const watermark = coverageStates(windows.filter((window) => window.syncedAt < at), [], rule, null).watermark;
    if (watermark !== null) worst = Math.max(worst, at - watermark);
  }
  return worst;
}

function requestsBySite(scenario: Scenario): { swept: number; previous: number } {
  const answered = scenario.sandbox.requests.filter((request) => request.status !== 429);
  return { swept: answered.filter((r) => r.siteId === 'swept').length, previous: answered.filter((r) => r.siteId === 'previous').length };
}
