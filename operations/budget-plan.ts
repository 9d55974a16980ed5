import { expectedWatermarkLag } from '../read-model/freshness.js';
import type { Kysely } from 'kysely';
import type { SiteConfig } from '../config/site-config.js';
import type { Database } from '../db/database.js';
import { DAY_MS } from '../workflows/scheduled-range.js';
import { accountBudgetUse } from './account-budget-use.js';
import { cronFires } from './cron-fires.js';
import { exportedWindowsCost } from './exported-windows-cost.js';
import { pagedSessionsCost } from './paged-sessions-cost.js';
import type { CostBasis, SiteCost } from './site-cost.js';

/** How each source's requests are modelled; a source absent here is listed without figures. */
const COST_MODELS: Record<string, (db: Kysely<Database>, site: SiteConfig, today: number) => Promise<SiteCost>> = {
  fullsession: pagedSessionsCost,
  fullstory: exportedWindowsCost,
};

export interface SitePlan {
  source: string;
  customerId: string;
  siteId: string;
  /** What its cost follows (sessions or exported windows); null for a source the planner does not model. */
  basis: CostBasis | null;
  cron: string;
  runsPerDay: number;
  /** From the sessions stored over the last days; null before any, or for a source whose cost is not pages of sessions. */
  sessionsPerDay: number | null;
  /** An exported window's requests over the last days' runs; null before any, or for a source whose cost is pages. */
  requestsPerWindow: number | null;
  /** Requests a day its schedule costs (runs and the daily sweep); null before the history to model it from. */
  requestsPerDay: number | null;
  /** What that buys: the most the schedule lets the watermark fall behind now (read-model/freshness.ts). */
  watermarkLagMs: number;
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
 * budget, from what the database has seen (each source's own model, see
 * COST_MODELS) and the same window rules the runs follow: the headroom
 * left, how long a backfill takes in it, and a warning with a cadence that
 * fits when the schedules take too much.
 */
export async function planBudgets(db: Kysely<Database>, sites: readonly SiteConfig[], options: PlanOptions): Promise<BudgetPlan> {
  const today = Math.floor(options.now / DAY_MS) * DAY_MS;
  const use = await accountBudgetUse(db, sites);
  const costs = await Promise.all(sites.map((site) => COST_MODELS[site.source]?.(db, site, today) ?? null));
  const accounts = use.map((account) => {
    const members = sites.flatMap((site, index) => (site.source === account.source && site.customerId === account.account ? [{ site, cost: costs[index] ?? null }] : []));
    const perDay = members.map(({ site, cost }) => cost?.scheduleRequestsPerDay(site.schedule.cron) ?? null);
    const schedulesPerDay = perDay.reduce<number>((sum, requests) => sum + (requests ?? 0), 0);
    const headroomPerDay = Math.max(0, account.dayBudget - schedulesPerDay);
    const plans: SitePlan[] = members.map(({ site, cost }, index) => {
      const backfillRequests = cost?.backfillRequests(options.backfillDays) ?? null;
      return {
        source: site.source,
        customerId: site.customerId,
        siteId: site.siteId,
        basis: cost?.basis ?? null,
        cron: site.schedule.cron,
        runsPerDay: cronFires(site.schedule.cron, site.schedule.timezone, today, today + DAY_MS).length,
        sessionsPerDay: cost?.recordsPerDay ?? null,
        requestsPerWindow: cost?.requestsPerWindow ?? null,
        requestsPerDay: perDay[index] ?? null,
        watermarkLagMs: expectedWatermarkLag(site, options.now),
        sweep: site.sync.sweepReachBackMs > 0,
        backfill: backfillRequests === null ? null : { requests: backfillRequests, hours: headroomPerDay > 0 ? (backfillRequests / headroomPerDay) * 24 : null },
      };
    });
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
      warning: share > options.warnShare ? warning(account.account, account.dayBudget, share, members.map(({ cost }) => cost), options.warnShare) : null,
      sites: plans,
    };
  });
  return { generatedAt: options.now, backfillDays: options.backfillDays, warnShare: options.warnShare, accounts };
}

/** Cadences offered when the schedules take too much: the first that fits. */
const CADENCES: Array<[string, string]> = [['*/30 * * * *', '30 minutes'], ['0 * * * *', 'hour'], ['0 */2 * * *', '2 hours'], ['0 */4 * * *', '4 hours'], ['0 */8 * * *', '8 hours']];

function warning(account: string, dayBudget: number, share: number, costs: ReadonlyArray<SiteCost | null>, warnShare: number): string {
  const over = `the schedules of ${account} would take ${percent(share)} of its ${dayBudget.toLocaleString('en')} requests a day (more than ${percent(warnShare)}), leaving little for backfills and retries`;
  for (const [cron, every] of CADENCES) {
    const cost = costs.reduce((sum, siteCost) => sum + (siteCost?.scheduleRequestsPerDay(cron) ?? 0), 0);
    if (cost / dayBudget <= warnShare) return `${over}: run them every ${every} (cron "${cron}": ${cost.toLocaleString('en')} requests a day, ${percent(cost / dayBudget)})`;
  }
  return `${over}: even every 8 hours they would not fit; schedule fewer sites on this account, or raise rateLimitPerMinute if the vendor allows it`;
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}
