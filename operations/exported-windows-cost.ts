import type { Kysely } from 'kysely';
import type { SiteConfig } from '../config/site-config.js';
import type { Database } from '../db/database.js';
import { requestsAndWindowsSince } from '../db/runs-repository.js';
import { DAY_MS } from '../workflows/scheduled-range.js';
import { streamKeyOf } from '../workflows/stream-key.js';
import { countWindows } from '../workflows/windows.js';
import { scheduledRunRanges } from './cron-fires.js';
import { PROFILE_DAYS, type SiteCost } from './site-cost.js';

/**
 * The cost of a site whose windows are exports (FullStory): a window costs
 * its export's requests (create, the polls until it is ready, the results),
 * which depend on how long the vendor takes, not on a page size. So the
 * cost of a window is taken from the site's own runs that succeeded over the
 * last week, and multiplied by the windows each schedule exports: a run's
 * new range and its trailing refresh.
 */
export async function exportedWindowsCost(db: Kysely<Database>, site: SiteConfig, today: number): Promise<SiteCost> {
  const { requests, windows } = await requestsAndWindowsSince(db, streamKeyOf(site), today - PROFILE_DAYS * DAY_MS);
  const perWindow = windows > 0 ? requests / windows : null;
  return {
    basis: 'windows',
    recordsPerDay: null,
    requestsPerWindow: perWindow,
    scheduleRequestsPerDay: (cron) => (perWindow === null ? null : Math.round(scheduledWindowsPerDay(site, cron, today) * perWindow)),
    backfillRequests: (days) => (perWindow === null ? null : Math.round(Math.ceil((days * DAY_MS) / site.sync.backfillWindowMs) * perWindow)),
  };
}

/** The windows a day of runs on `cron` exports: each run from the previous one's end less the trailing refresh. */
function scheduledWindowsPerDay(site: SiteConfig, cron: string, dayStart: number): number {
  const { settleDelayMs, windowMs, refreshTrailingMs } = site.sync;
  return scheduledRunRanges(cron, site.schedule.timezone, settleDelayMs, dayStart).reduce((windows, { from, to }) => windows + countWindows(from - refreshTrailingMs, to, windowMs), 0);
}
