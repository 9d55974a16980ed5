import { Cron } from 'croner';
import type { Kysely } from 'kysely';
import type { SiteConfig } from '../config/site-config.js';
import type { Database } from '../db/database.js';
import { sessionsByDurationMinutes, sessionsByHour } from '../sources/fullsession/sessions-table.js';
import { countWindows, windowAt } from '../workflows/windows.js';
import { readSweptUntil } from '../db/watermarks-repository.js';
import { streamKeyOf } from '../workflows/stream-key.js';
import { accountBudgetUse } from './account-budget-use.js';
import { durationShares, hourlyProfile, sessionsBetween, sessionsReturned, type Traffic } from './traffic-profile.js';

const DAY_MS = 86_400_000;
const PAGE_SIZE = 1000;
/** Days of history the traffic profile is taken from. */
const PROFILE_DAYS = 7;

export interface SitePlan {
  source: string;
  customerId: string;
  siteId: string;
  cron: string;
  runsPerDay: number;
  /** From the sessions stored over the last days; null before any, or for a source the planner does not model. */
  sessionsPerDay: number | null;
  /** Requests a day its schedule costs (runs and the daily sweep); null when sessionsPerDay is. */
  requestsPerDay: number | null;
  sweep: boolean;
  /** A backfill of `backfillDays` days of this site: its requests, and hours in the account's headroom (null: no headroom). */
  backfill: { requests: number; hours: number | null } | null;
}

export interface AccountPlan {
  source: string;
  account: string;
  ratePerMinute: number;
  dayBudget: number;
  /** What the grant log says the account spent, all workers together. */
  spentLastHour: number;
  spentLastDay: number;
  /** The sum of its sites' schedules (those that can be planned). */
  schedulesPerDay: number;
  share: number;
  headroomPerDay: number;
  /** Set when the schedules take more than the warning share of the budget, with what would fit. */
  warning: string | null;
  sites: SitePlan[];
}

export interface BudgetPlan {
  generatedAt: number;
  backfillDays: number;
  warnShare: number;
  accounts: AccountPlan[];
}

export interface PlanOptions {
  now: number;
  backfillDays: number;
  /** Warn past this share of an account's daily budget (0.8). */
  warnShare: number;
}

/**
 * What each account's configured schedules cost a day against its request
 * budget, from the traffic the database has seen (sessions by hour of the
 * day over the last week) and the same window rules the runs follow: the
 * headroom left, how long a backfill takes in it, and a warning with a
 * cadence that fits when the schedules take too much. FullSession sites
 * are planned; other sources are listed without a figure.
 */
export async function planBudgets(db: Kysely<Database>, sites: readonly SiteConfig[], options: PlanOptions): Promise<BudgetPlan> {
  const today = Math.floor(options.now / DAY_MS) * DAY_MS;
  const use = await accountBudgetUse(db, sites);
  const traffics = await Promise.all(sites.map((site) => trafficOf(db, site, today)));
  const accounts = use.map((account) => {
    const members = sites.flatMap((site, index) => (site.source === account.source && site.customerId === account.account ? [{ site, traffic: traffics[index] ?? null }] : []));
    const costs = members.map(({ site, traffic }) => (traffic ? scheduleRequestsPerDay(site, site.schedule.cron, traffic, today) : null));
    const schedulesPerDay = costs.reduce<number>((sum, cost) => sum + (cost ?? 0), 0);
    const headroomPerDay = Math.max(0, account.dayBudget - schedulesPerDay);
    const plans: SitePlan[] = members.map(({ site, traffic }, index) => ({
      source: site.source,
      customerId: site.customerId,
      siteId: site.siteId,
      cron: site.schedule.cron,
      runsPerDay: cronFires(site.schedule.cron, site.schedule.timezone, today, today + DAY_MS).length,
      sessionsPerDay: traffic ? Math.round(sessionsBetween(traffic.hourly, today, today + DAY_MS)) : null,
      requestsPerDay: costs[index] ?? null,
      sweep: site.sync.sweepReachBackMs > 0,
      backfill: traffic ? backfillCost(site, traffic, options.backfillDays, headroomPerDay) : null,
    }));
    const share = schedulesPerDay / account.dayBudget;
    return {
      source: account.source,
      account: account.account,
      ratePerMinute: account.ratePerMinute,
      dayBudget: account.dayBudget,
      spentLastHour: account.lastHour,
      spentLastDay: account.lastDay,
      schedulesPerDay,
      share,
      headroomPerDay,
      warning: share > options.warnShare ? warning(account.account, account.dayBudget, share, members, today, options.warnShare) : null,
      sites: plans,
    };
  });
  return { generatedAt: options.now, backfillDays: options.backfillDays, warnShare: options.warnShare, accounts };
}

/**
 * A FullSession site's sessions by hour of the day over the last week's
 * whole days, up to where its sweep has reached: later days still lack
 * their long sessions. Null for other sources, or before any session.
 */
async function trafficOf(db: Kysely<Database>, site: SiteConfig, today: number): Promise<Traffic | null> {
  if (site.source !== 'fullsession') return null;
  const sweptUntil = site.sync.sweepReachBackMs > 0 ? await readSweptUntil(db, streamKeyOf(site)) : null;
  const until = Math.min(today, sweptUntil ?? today);
  const from = until - PROFILE_DAYS * DAY_MS;
  const hourly = hourlyProfile(await sessionsByHour(db, site, from, until));
  return hourly ? { hourly, lastedAtMost: durationShares(await sessionsByDurationMinutes(db, site, from, until)) } : null;
}

/**
 * Requests a day of a site's schedule on `cron`: each run's range split
 * into its windows, each window's query reaching back (pages: one per
 * 1,000 sessions read, the last one partial), and the daily sweep.
 */
export function scheduleRequestsPerDay(site: SiteConfig, cron: string, traffic: Traffic, dayStart: number): number {
  const { settleDelayMs, windowMs, freshReachBackMs, maxSessionDurationMs, sweepReachBackMs } = site.sync;
  const reach = sweepReachBackMs > 0 ? Math.min(freshReachBackMs, maxSessionDurationMs) : maxSessionDurationMs;
  const fires = cronFires(cron, site.schedule.timezone, dayStart - DAY_MS, dayStart + DAY_MS);
  let requests = 0;
  for (let i = 1; i < fires.length; i++) {
    if (fires[i]! < dayStart) continue;
    const from = fires[i - 1]! - settleDelayMs;
    const to = fires[i]! - settleDelayMs;
    for (let w = 0; w < countWindows(from, to, windowMs); w++) {
      const window = windowAt(from, to, windowMs, w);
      requests += pages(sessionsReturned(traffic, window.start - reach, window.end));
    }
  }
  if (sweepReachBackMs > 0) requests += pages(sessionsReturned(traffic, dayStart - sweepReachBackMs, dayStart + DAY_MS));
  return requests;
}

function pages(sessions: number): number {
  return Math.floor(sessions / PAGE_SIZE) + 1;
}

/** Its backfill window counted from the start, one reach-back each. */
function backfillCost(site: SiteConfig, traffic: Traffic, days: number, headroomPerDay: number): { requests: number; hours: number | null } {
  const perDay = sessionsBetween(traffic.hourly, 0, DAY_MS);
  const windows = Math.ceil((days * DAY_MS) / site.sync.backfillWindowMs);
  const reachBack = windows * sessionsBetween(traffic.hourly, 0, site.sync.maxSessionDurationMs);
  const requests = Math.floor((days * perDay + reachBack) / PAGE_SIZE) + windows;
  return { requests, hours: headroomPerDay > 0 ? (requests / headroomPerDay) * 24 : null };
}

/** When the cron fires in [from, to), Unix ms. */
export function cronFires(cron: string, timezone: string, from: number, to: number): number[] {
  const schedule = new Cron(cron, { timezone, paused: true });
  const fires: number[] = [];
  for (let next = schedule.nextRun(new Date(from - 1)); next && next.getTime() < to; next = schedule.nextRun(next)) fires.push(next.getTime());
  return fires;
}

/** Cadences offered when the schedules take too much: the first that fits. */
const CADENCES: Array<[string, string]> = [['*/30 * * * *', '30 minutes'], ['0 * * * *', 'hour'], ['0 */2 * * *', '2 hours'], ['0 */4 * * *', '4 hours'], ['0 */8 * * *', '8 hours']];

function warning(account: string, dayBudget: number, share: number, members: Array<{ site: SiteConfig; traffic: Traffic | null }>, dayStart: number, warnShare: number): string {
  const over = `the schedules of ${account} would take ${percent(share)} of its ${dayBudget.toLocaleString('en')} requests a day (more than ${percent(warnShare)}), leaving little for backfills and retries`;
  for (const [cron, every] of CADENCES) {
    const cost = members.reduce((sum, { site, traffic }) => sum + (traffic ? scheduleRequestsPerDay(site, cron, traffic, dayStart) : 0), 0);
    if (cost / dayBudget <= warnShare) return `${over}: run them every ${every} (cron "${cron}": ${cost.toLocaleString('en')} requests a day, ${percent(cost / dayBudget)})`;
  }
  return `${over}: even every 8 hours they would not fit; schedule fewer sites on this account, or raise rateLimitPerMinute if FullSession allows it`;
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}
