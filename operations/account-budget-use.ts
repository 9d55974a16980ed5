import type { Kysely } from 'kysely';
import type { SiteConfig } from '../config/site-config.js';
import type { Database } from '../db/database.js';
import { budgetSpent } from '../db/rate-budget-repository.js';
import { PostgresSharedBudget } from '../sources/http/shared-rate-budget.js';

/** What one API account (its request budget is shared by all its sites) spent of it. */
export interface AccountBudgetUse {
  source: string;
  account: string;
  ratePerMinute: number;
  /** Requests granted in the last hour, and the budget of an hour. */
  lastHour: number;
  hourBudget: number;
  /** Requests granted in the last day (24 h), and the budget of a day. */
  lastDay: number;
  dayBudget: number;
}

/** Each configured account's budget and what the workers' grant log says it spent, all processes together. */
export async function accountBudgetUse(db: Kysely<Database>, sites: readonly SiteConfig[]): Promise<AccountBudgetUse[]> {
  const accounts = new Map<string, { source: string; account: string; ratePerMinute: number }>();
  for (const site of sites) accounts.set(PostgresSharedBudget.key(site.source, site.customerId), { source: site.source, account: site.customerId, ratePerMinute: site.ratePerMinute });
  const spent = await budgetSpent(db, [...accounts.keys()]);
  return [...accounts].map(([key, account]) => {
    const used = spent.get(key) ?? { lastHour: 0, lastDay: 0 };
    return { ...account, lastHour: used.lastHour, hourBudget: account.ratePerMinute * 60, lastDay: used.lastDay, dayBudget: account.ratePerMinute * 1440 };
  });
}
