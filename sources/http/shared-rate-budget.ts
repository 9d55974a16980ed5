import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { pauseAccount, tryTakeSlot } from '../../db/rate-budget-repository.js';
import { sleep, type SharedBudget } from './rate-budget.js';

/**
 * The sliding window the shared budget enforces: the API's minute plus a
 * margin, because the API counts a request when it arrives, a few
 * milliseconds after we grant it, and arrival delays differ.
 */
const WINDOW_MS = 60_000 + 1_000;
/** Re-check at least this often while waiting, so cancellation is prompt. */
const MAX_POLL_MS = 2_000;

/**
 * One request budget per API account for the whole fleet, kept in the
 * Postgres every worker already uses: a grant log with a per-account
 * advisory lock (db/rate-budget-repository.ts). Chosen over Temporal's
 * `maxTaskQueueActivitiesPerSecond`, which counts activity starts (retries
 * and 429 waits included), not HTTP calls, and is per task queue, not per account.
 */
export class PostgresSharedBudget implements SharedBudget {
  /** The budget's key in Postgres: one per source and account, e.g. `fullsession:cust-1`. */
  static key(source: string, account: string): string {
    return `${source}:${account}`;
  }

  constructor(
    private readonly db: Kysely<Database>,
    private readonly account: string,
    private readonly perMinute: number,
  ) {}

  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const waitMs = await tryTakeSlot(this.db, this.account, this.perMinute, WINDOW_MS);
      if (waitMs === 0) return;
      await sleep(Math.min(waitMs, MAX_POLL_MS), signal);
    }
  }

  async pause(ms: number): Promise<void> {
    await pauseAccount(this.db, this.account, ms);
  }
}
