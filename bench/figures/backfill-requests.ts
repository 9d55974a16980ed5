import { DAY, HOUR, startScenario, T0, type BenchStack } from '../bench-stack.js';

export interface BackfillRequestsFigure {
  days: number;
  sessions: number;
  requests: number;
  /** ceil(sessions / 1,000): one full page for every 1,000 sessions the backfill keeps. */
  minimumRequests: number;
  ratio: number;
  windows: number;
}

const DAYS = 30;
/** The realistic profile: 50,000 sessions a day, following the day. */
const SESSIONS_PER_DAY = 50_000;
/** The default maximum session duration; the sandbox's longest sessions last up to it. */
const MAX_SESSION_DURATION = 4 * HOUR;
/** FullSession's default backfill window (sync.backfillWindow). */
const BACKFILL_WINDOW = 90 * DAY;

/**
 * A 30-day backfill of one site on the realistic profile, planned as the
 * CLI plans it (the site's backfill window, counted from --from): the API
 * requests it made against the physical minimum.
 */
export async function measureBackfillRequests(stack: BenchStack): Promise<BackfillRequestsFigure> {
  const profile = { sessionsPerHour: SESSIONS_PER_DAY / 24, maxSessionDurationMs: MAX_SESSION_DURATION, dailyCycle: true };
  const scenario = await startScenario(stack, 'requests', ['realistic'], { limitPerMinute: null, ratePerMinute: 1_000_000, profile });
  try {
    await scenario.startWorkers(1);
    const before = scenario.sandbox.apiRequestCount();
    const totals = await scenario.backfill('realistic', T0, T0 + DAYS * DAY, { windowMs: BACKFILL_WINDOW, windowOriginMs: T0, lookbackMs: MAX_SESSION_DURATION });
    const requests = scenario.sandbox.apiRequestCount() - before;
    const minimumRequests = Math.ceil(totals.records / 1000);
    return { days: DAYS, sessions: totals.records, requests, minimumRequests, ratio: requests / minimumRequests, windows: totals.windowsDone };
  } finally {
    await scenario.close();
  }
}
