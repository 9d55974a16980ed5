import type { Kysely } from 'kysely';
import type { Config } from '../config/load-config.js';
import type { Database } from '../db/database.js';
import { planBudgets, type AccountPlan, type BudgetPlan, type SitePlan } from '../operations/budget-plan.js';
import { formatDuration } from '../read-model/duration-words.js';
import { formatTable } from './format.js';
import type { Print } from './print.js';

/**
 * `session-sync plan [--days N] [--json]`: per account, what its sites'
 * schedules cost a day against its request budget and what that buys (how
 * far behind now the copy is complete at worst), what was spent, the
 * headroom, how long an N-day backfill of each site takes in it, and a
 * warning with a cadence that fits when the schedules take too much.
 */
export async function planCommand(config: Config, db: Kysely<Database>, options: { days: number; json: boolean }, print: Print, now = Date.now()): Promise<BudgetPlan> {
  const plan = await planBudgets(db, config.sites.sites, { now, backfillDays: options.days, warnShare: 0.8 });
  print(options.json ? JSON.stringify(plan, null, 2) : plan.accounts.map((account) => renderAccount(account, plan.backfillDays)).join('\n\n'));
  return plan;
}

/** Sessions a day and requests a day; an exporting source shows what a window costs instead of sessions. */
function costColumns(site: SitePlan, n: (value: number) => string): [string, string] {
  if (site.basis === 'windows') {
    return ['-', site.requestsPerWindow === null ? 'no runs yet' : `${n(site.requestsPerDay ?? 0)} (${site.requestsPerWindow.toFixed(1)} a window)`];
  }
  return [site.sessionsPerDay === null ? 'not known yet' : n(site.sessionsPerDay), site.requestsPerDay === null ? '-' : n(site.requestsPerDay)];
}

function renderAccount(account: AccountPlan, days: number): string {
  const n = (value: number) => Math.round(value).toLocaleString('en');
  const head = `${account.source}/${account.account}: ${account.ratePerMinute} requests a minute, ${n(account.dayBudget)} a day; spent ${n(account.spentLastHour)} in the last hour, ${n(account.spentLastDay)} in the last day`;
  const table = formatTable(
    ['SITE', 'SCHEDULE', 'RUNS/DAY', 'SESSIONS/DAY', 'REQUESTS/DAY', 'COMPLETE WITHIN', `${days}-DAY BACKFILL`],
    account.sites.map((site) => [
      site.siteId,
      site.cron,
      `${site.runsPerDay}${site.sweep ? '+sweep' : ''}`,
      ...costColumns(site, n),
      formatDuration(site.watermarkLagMs),
      site.backfill === null ? '-' : `${n(site.backfill.requests)} requests, ${site.backfill.hours === null ? 'no headroom' : `${site.backfill.hours.toFixed(1)} h`}`,
    ]),
  );
  const total = `schedules: ${n(account.schedulesPerDay)} requests a day (${Math.round(account.share * 100)}% of the budget); headroom ${n(account.headroomPerDay)} a day`;
  return [head, table, total, ...(account.warning ? [`warning: ${account.warning}`] : [])].join('\n');
}
