import { sql } from 'kysely';
import { DAY, siteIds, startScenario, T0, type BenchStack } from '../bench-stack.js';

export interface RateFigure {
  workers: number;
  limitPerMinute: number;
  sessionsPerMinute: number;
  efficiency: number;
  rateLimited: number;
  /** Most requests the sandbox saw in any sliding 60 s. */
  maxRequestsPerMinute: number;
  /** From a grant's time in Postgres to its request's arrival at the sandbox: what the budget's margin must cover is their spread. */
  arrivalLagMs: { min: number; p50: number; p99: number; max: number };
  /** Efficiency's two factors over the measure: answered requests a minute ÷ the limit, and new sessions a request ÷ a full page. */
  requestShare: number;
  pageFill: number;
  /**
   * How long each slot of the budget sat free before its next grant, for
   * the grants in the measure: a grant's time minus the time the slot it
   * took came free (the grant a limit before it, plus the budget's window).
   * Their sum over the budget's window is the requests the budget could
   * have granted and did not.
   */
  slotIdleMs: { p50: number; p90: number; p99: number; max: number; lostRequestsPerMinute: number };
}

const LIMIT = 600;
/** The window the shared budget enforces (sources/http/shared-rate-budget.ts): the API's minute and its margin. */
const BUDGET_WINDOW_MS = 61_000;
/** Sessions in a full page of the sandbox. */
const PAGE_SIZE = 1000;
const SITES = 4;
/**
 * The budget starts empty, so the first minute is a burst as fast as the
 * worker goes, and the burst's slots come free a budget window later in the
 * same pattern: what one minute's slice right after it counts (the measure
 * before) depends on where it falls in that pattern. Two minutes of
 * warm-up, then three measured, average over it.
 */
const WARM_UP_MS = 125_000;
const MEASURE_MS = 180_000;

/**
 * Backfills of four sites of one account against a sandbox enforcing 600
 * requests a minute, by `workers` processes sharing the account's budget:
 * sessions committed per minute in steady state ÷ (limit × 1,000 a page).
 */
export async function measureRateEfficiency(stack: BenchStack, workers: number): Promise<RateFigure> {
  const sites = siteIds(SITES, `rate${workers}`);
  const scenario = await startScenario(stack, `rate-${workers}`, sites, { limitPerMinute: LIMIT, ratePerMinute: LIMIT });
  try {
    await scenario.startWorkers(workers);
    const started = Date.now();
    const runs = await Promise.all(sites.map((site) => scenario.startBackfill(site, T0, T0 + 10 * DAY)));
    await sleep(WARM_UP_MS);
    const from = new Date();
    await sleep(MEASURE_MS);
    const to = new Date();
    const { rows } = await sql<{ n: string }>`select count(*) as n from fullsession_sessions where first_synced_at >= ${from} and first_synced_at < ${to}`.execute(scenario.database.db);
    const measuredMs = to.getTime() - from.getTime();
    const sessionsPerMinute = (Number(rows[0]!.n) * 60_000) / measuredMs;
    const answeredInMeasure = scenario.sandbox.requests.filter((r) => r.at >= from.getTime() && r.at < to.getTime() && r.status !== 429).length;
    const requests = scenario.sandbox.requests.filter((r) => r.at >= started);
    // Every grant of this database is this run's, and so is every request the sandbox saw.
    const grants = await sql<{ at: Date }>`select granted_at as at from rate_budget_log where granted_at < ${to} order by granted_at`.execute(scenario.database.db);
    await Promise.all(runs.map((run) => run.terminate('benchmark measured')));
    return {
      workers,
      limitPerMinute: LIMIT,
      sessionsPerMinute,
      efficiency: sessionsPerMinute / (LIMIT * PAGE_SIZE),
      requestShare: (answeredInMeasure * 60_000) / measuredMs / LIMIT,
      pageFill: Number(rows[0]!.n) / answeredInMeasure / PAGE_SIZE,
      slotIdleMs: slotIdleness(grants.rows.map((grant) => grant.at.getTime()), from.getTime(), measuredMs),
      rateLimited: requests.filter((r) => r.status === 429).length,
      maxRequestsPerMinute: maxInSlidingMinute(requests.map((r) => r.at)),
      // Every request, the workers' start-up checks too: each took a grant.
      arrivalLagMs: arrivalLags(grants.rows.map((grant) => grant.at.getTime()), scenario.sandbox.requests.map((r) => r.at)),
    };
  } finally {
    await scenario.close();
  }
}

function maxInSlidingMinute(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  for (let start = 0, end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= 60_000) start++;
    max = Math.max(max, end - start + 1);
  }
  return max;
}

/**
 * Each grant's lag to its request's arrival, pairing the n-th grant with
 * the n-th arrival, both counted from the run's start (the budget and the
 * sandbox began empty) up to the end of the measure: requests of a moment
 * may overtake each other, so this is the lag of the budget's timeline
 * against the API's, which is what the margin covers. Same machine, same
 * clock.
 */
function arrivalLags(grants: number[], arrivals: number[]): RateFigure['arrivalLagMs'] {
  const sortedArrivals = [...arrivals].sort((a, b) => a - b);
  const count = Math.min(grants.length, sortedArrivals.length);
  const lags = Array.from({ length: count }, (_, n) => sortedArrivals[n]! - grants[n]!).sort((a, b) => a - b);
  const at = (q: number) => lags[Math.min(count - 1, Math.floor(q * count))]!;
  return { min: lags[0]!, p50: at(0.5), p99: at(0.99), max: lags[count - 1]! };
}

/** Each measured grant's wait behind the moment its slot came free (see RateFigure.slotIdleMs). */
function slotIdleness(grants: number[], from: number, measuredMs: number): RateFigure['slotIdleMs'] {
  const idle: number[] = [];
  for (let n = LIMIT; n < grants.length; n++) {
    if (grants[n]! >= from) idle.push(Math.max(0, grants[n]! - (grants[n - LIMIT]! + BUDGET_WINDOW_MS)));
  }
  idle.sort((a, b) => a - b);
  const at = (q: number) => Math.round(idle[Math.min(idle.length - 1, Math.floor(q * idle.length))] ?? 0);
  const lost = idle.reduce((sum, ms) => sum + ms, 0) / BUDGET_WINDOW_MS;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1), lostRequestsPerMinute: (lost * 60_000) / measuredMs };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
