import type { Kysely } from 'kysely';
import type { SiteConfig } from '../config/site-config.js';
import type { Database } from '../db/database.js';
import { readSweptUntil } from '../db/watermarks-repository.js';
import { sessionsByDurationMinutes, sessionsByHour } from '../sources/fullsession/sessions-table.js';
import { DAY_MS } from '../workflows/scheduled-range.js';
import { streamKeyOf } from '../workflows/stream-key.js';
import { countWindows, windowAt } from '../workflows/windows.js';
import { scheduledRunRanges } from './cron-fires.js';
import { PROFILE_DAYS, type SiteCost } from './site-cost.js';
import { durationShares, hourlyProfile, sessionsBetween, sessionsReturned, type Traffic } from './traffic-profile.js';

const PAGE_SIZE = 1000;

/**
 * A FullSession site's cost: pages of 1,000 sessions, modelled from its
 * sessions by hour of the day and by duration over the last week's whole
 * days, up to where its sweep has reached (later days still lack their
 * long sessions), and the same window rules the runs follow.
 */
export async function pagedSessionsCost(db: Kysely<Database>, site: SiteConfig, today: number): Promise<SiteCost> {
  const traffic = await trafficOf(db, site, today);
  return {
    basis: 'sessions',
    recordsPerDay: traffic ? Math.round(sessionsBetween(traffic.hourly, today, today + DAY_MS)) : null,
    requestsPerWindow: null,
    scheduleRequestsPerDay: (cron) => (traffic ? scheduleRequestsPerDay(site, cron, traffic, today) : null),
    backfillRequests: (days) => (traffic ? backfillRequests(site, traffic, days) : null),
  };
}

async function trafficOf(db: Kysely<Database>, site: SiteConfig, today: number): Promise<Traffic | null> {
  const sweptUntil = site.sync.sweepReachBackMs > 0 ? await readSweptUntil(db, streamKeyOf(site)) : null;
  const until = Math.min(today, sweptUntil ?? today);
  const from = until - PROFILE_DAYS * DAY_MS;
  const hourly = hourlyProfile(await sessionsByHour(db, site, from, until));
  return hourly ? { hourly, lastedAtMost: durationShares(await sessionsByDurationMinutes(db, site, from, until)) } : null;
}

/**
 * Each run's range split into its windows, each window's query reaching
 * back (pages: one per 1,000 sessions read, the last one partial), and the
 * daily sweep.
 */
function scheduleRequestsPerDay(site: SiteConfig, cron: string, traffic: Traffic, dayStart: number): number {
  const { settleDelayMs, windowMs, freshReachBackMs, maxSessionDurationMs, sweepReachBackMs } = site.sync;
  const reach = sweepReachBackMs > 0 ? Math.min(freshReachBackMs, maxSessionDurationMs) : maxSessionDurationMs;
  let requests = 0;
  for (const { from, to } of scheduledRunRanges(cron, site.schedule.timezone, settleDelayMs, dayStart)) {
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

/** Its backfill windows counted from the start, one reach-back each. */
function backfillRequests(site: SiteConfig, traffic: Traffic, days: number): number {
  const perDay = sessionsBetween(traffic.hourly, 0, DAY_MS);
  const windows = Math.ceil((days * DAY_MS) / site.sync.backfillWindowMs);
  const reachBack = windows * sessionsBetween(traffic.hourly, 0, site.sync.maxSessionDurationMs);
  return Math.floor((days * perDay + reachBack) / PAGE_SIZE) + windows;
}
