import { describe, expect, it } from 'vitest';
import type { SiteConfig } from '../config/site-config.js';
import { freshnessOf, freshnessThresholds } from '../read-model/freshness.js';

const M = 60_000;
const H = 60 * M;
const NOW = Date.UTC(2026, 11, 3, 12);

function site(source: string, cron: string, sync: Partial<SiteConfig['sync']> = {}, freshness: SiteConfig['freshness'] = null): SiteConfig {
  return {
    source,
    customerId: 'c',
    siteId: 's',
    credentialName: 'k',
    ratePerMinute: 20,
    schedule: { cron, timezone: 'UTC', jitterMs: 0, catchupWindowMs: H, runTimeoutMs: H },
    sync: { windowMs: 24 * H, backfillWindowMs: 24 * H, maxSessionDurationMs: 4 * H, settleDelayMs: 30 * M, initialLookbackMs: 24 * H, refreshTrailingMs: 0, freshReachBackMs: 30 * M, sweepReachBackMs: 24 * H, partitionSpan: '1d', retentionMs: null, retentionDetachOnly: false, ...sync },
    freshness,
  };
}

describe('freshness of a site', () => {
  it('derives its thresholds from the schedule: what must settle, the interval, the sweep; late after one more interval, stale after two', () => {
    // FullSession every 15 minutes with the daily sweep: 30 m settle + 15 m + 24 h.
    expect(freshnessThresholds(site('fullsession', '*/15 * * * *'), NOW)).toEqual({ warnAfterMs: 24 * H + 60 * M, errorAfterMs: 24 * H + 75 * M, derived: true });
    // Without the sweep, every run is complete as far as it reached.
    expect(freshnessThresholds(site('fullsession', '0 * * * *', { sweepReachBackMs: 0 }), NOW)).toEqual({ warnAfterMs: 150 * M, errorAfterMs: 210 * M, derived: true });
    // FullStory hourly: its events settle within a day.
    expect(freshnessThresholds(site('fullstory', '0 * * * *', { sweepReachBackMs: 0, refreshTrailingMs: 24 * H }), NOW)).toEqual({ warnAfterMs: 26 * H, errorAfterMs: 27 * H, derived: true });
    // Weekdays at nine: the weekend is the longest wait.
    expect(freshnessThresholds(site('fullsession', '0 9 * * 1-5', { sweepReachBackMs: 0 }), NOW).warnAfterMs).toBe(30 * M + 2 * 72 * H);
    expect(freshnessThresholds(site('fullsession', '0 * * * *', {}, { warnAfterMs: H, errorAfterMs: 2 * H }), NOW)).toEqual({ warnAfterMs: H, errorAfterMs: 2 * H, derived: false });
  });

  it('is fresh, late, stale, or unknown with its reason before anything was synced', () => {
    const thresholds = { warnAfterMs: H, errorAfterMs: 2 * H, derived: false };
    expect(freshnessOf(NOW - 30 * M, thresholds, NOW)).toMatchObject({ state: 'fresh', ageMs: 30 * M });
    expect(freshnessOf(NOW - 90 * M, thresholds, NOW)).toMatchObject({ state: 'late', ageMs: 90 * M });
    expect(freshnessOf(NOW - 3 * H, thresholds, NOW)).toMatchObject({ state: 'stale', ageMs: 3 * H });
    expect(freshnessOf(null, thresholds, NOW)).toMatchObject({ state: 'unknown', ageMs: null, reason: 'nothing synced yet' });
  });
});
