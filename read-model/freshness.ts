import type { SiteConfig } from '../config/site-config.js';
import { cronFires } from '../operations/cron-fires.js';
import { DAY_MS } from '../workflows/scheduled-range.js';
import { completenessRule } from './site-coverage.js';

/**
 * How old a site's watermark may get: late past `warnAfterMs`, stale past
 * `errorAfterMs` (Airbyte's Late and Error, dbt's warn_after and error_after).
 */
export interface FreshnessThresholds {
  warnAfterMs: number;
  errorAfterMs: number;
  /** True when derived from the schedule, false when the config sets them. */
  derived: boolean;
}

export type FreshnessState = 'fresh' | 'late' | 'stale' | 'unknown';

export interface Freshness extends FreshnessThresholds {
  state: FreshnessState;
  /** How far the watermark is behind now; null when there is none. */
  ageMs: number | null;
  /** Why the state is unknown. */
  reason?: string;
}

/**
 * The site's thresholds: its config's `freshness`, else derived. A healthy
 * schedule keeps the watermark within its expected lag: what must settle
 * (the settle delay, or the day events take to settle), one interval
 * between runs, and with a daily sweep the day it waits for. Late after one
 * more interval, stale after two: a run or two that did not happen.
 */
export function freshnessThresholds(site: SiteConfig, now: number): FreshnessThresholds {
  if (site.freshness) return { ...site.freshness, derived: false };
  const interval = longestInterval(site.schedule.cron, site.schedule.timezone, now);
  const expectedLag = expectedWatermarkLag(site, now);
  return { warnAfterMs: expectedLag + interval, errorAfterMs: expectedLag + 2 * interval, derived: true };
}

/**
 * The most a healthy schedule lets the watermark fall behind now: what must
 * settle, the longest interval between runs, and with a daily sweep the day
 * it waits for. What `plan` shows beside a schedule's cost, and the bench
 * measures over a simulated day.
 */
export function expectedWatermarkLag(site: SiteConfig, now: number): number {
  const interval = longestInterval(site.schedule.cron, site.schedule.timezone, now);
  return completenessRule(site).settleMs + interval + (site.sync.sweepReachBackMs > 0 ? DAY_MS : 0);
}

/** The state of a watermark against the thresholds; unknown when there is no watermark yet. */
export function freshnessOf(watermark: number | null, thresholds: FreshnessThresholds, now: number): Freshness {
  if (watermark === null) return { ...thresholds, state: 'unknown', ageMs: null, reason: 'nothing synced yet' };
  const ageMs = Math.max(0, now - watermark);
  const state = ageMs > thresholds.errorAfterMs ? 'stale' : ageMs > thresholds.warnAfterMs ? 'late' : 'fresh';
  return { ...thresholds, state, ageMs };
}

/** Longest intervals already worked out, by cron, time zone and day: /metrics asks for every site at every scrape. */
const intervals = new Map<string, number>();

/** The longest gap between two runs of the cron over the coming week (a weekday-only cron waits over the weekend). */
function longestInterval(cron: string, timezone: string, now: number): number {
  const key = `${cron}\u0000${timezone}\u0000${Math.floor(now / DAY_MS)}`;
  const known = intervals.get(key);
  if (known !== undefined) return known;
  const fires = cronFires(cron, timezone, now, now + 7 * DAY_MS);
  let longest = 0;
  for (let i = 1; i < fires.length; i++) longest = Math.max(longest, fires[i]! - fires[i - 1]!);
  // One entry a cron and day: yesterday's go, so a long-running worker keeps a handful.
  for (const stale of intervals.keys()) if (!stale.endsWith(`\u0000${Math.floor(now / DAY_MS)}`)) intervals.delete(stale);
  intervals.set(key, longest || 7 * DAY_MS);
  return longest || 7 * DAY_MS;
}
