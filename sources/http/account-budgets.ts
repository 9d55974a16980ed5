import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { Logger } from '../../logging/logger.js';
import type { SyncMetrics } from '../../metrics/sync-metrics.js';
import { RateBudget } from './rate-budget.js';
import { PostgresSharedBudget } from './shared-rate-budget.js';
import type { RateLimitedCallOptions } from './wait-out-rate-limits.js';

/**
 * The request budgets of one source's accounts: one per account for the
 * whole fleet (through Postgres), because vendors limit an account, not a
 * key or a process; and the request metrics every source reports alike.
 */
export class AccountBudgets {
  private readonly budgets = new Map<string, RateBudget>();

  constructor(
    private readonly source: string,
    private readonly db: Kysely<Database>,
    /** The account's requests per minute. */
    private readonly ratePerMinute: (account: string) => number,
    private readonly metrics: SyncMetrics,
    private readonly log?: Logger,
  ) {}

  forAccount(account: string): RateBudget {
    let budget = this.budgets.get(account);
    if (!budget) {
      const perMinute = this.ratePerMinute(account);
      const shared = new PostgresSharedBudget(this.db, PostgresSharedBudget.key(this.source, account), perMinute);
      budget = new RateBudget(perMinute, shared, (waitedMs) => this.metrics.rateBudgetWaitSeconds.inc({ source: this.source, account }, waitedMs / 1000));
      this.budgets.set(account, budget);
    }
    return budget;
  }

  /** How a site's API call waits out 429s (see waitOutRateLimits): its account's budget, counted and logged. */
  callOptions(site: { customerId: string; siteId: string }, onRequest: () => void = () => {}): RateLimitedCallOptions {
    const labels = { source: this.source, account: site.customerId, site: site.siteId };
    return {
      budget: this.forAccount(site.customerId),
      countRequest: (outcome) => {
        onRequest();
        this.metrics.apiRequests.inc({ ...labels, status: outcome });
        if (outcome === '429') this.metrics.rateLimited.inc({ source: this.source, account: site.customerId });
      },
      onRateLimited: (retryAfterMs) => this.log?.warn({ ...labels, retryAfterMs }, 'rate limit reached; pausing the account budget'),
    };
  }
}
