import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { SiteConfig } from '../config/site-config.js';
import type { Database } from '../db/database.js';
import { siteSyncFacts } from '../db/site-status-repository.js';
import { describeOrNull } from '../operations/schedule-descriptions.js';
import { freshnessThresholds } from '../read-model/freshness.js';
import { siteCoverageStates } from '../read-model/site-coverage.js';
import { scheduleId } from '../workflows/workflow-ids.js';
import type { ScrapedValue, SyncMetrics } from './sync-metrics.js';

const SITE_LABELS = ['source', 'customer', 'site'] as const;
type SiteLabel = (typeof SITE_LABELS)[number];

/**
 * Per-site freshness and completeness, computed at scrape time from Postgres
 * (and the schedules' counters from Temporal), so every worker of the fleet
 * reports the same truth and a restarted one reports it at once. Labelled by
 * source, customer (the account) and site; a site with no value yet (nothing
 * synced) has no sample, which `absent()` or the gap gauge alerts on.
 */
export function registerSiteGauges(metrics: SyncMetrics, db: Kysely<Database>, sites: readonly SiteConfig[], schedules?: { client: Client; taskQueue: string }): void {
  const facts = sharedWhileInFlight(() => siteSyncFacts(db, sites));
  const coverage = sharedWhileInFlight(() => Promise.all(sites.map(async (site) => ({ site, ...(await siteCoverageStates(db, site, { now: Date.now() })) }))));
  const labelsOf = (site: { source: string; customerId: string; siteId: string }) => ({ source: site.source, customer: site.customerId, site: site.siteId });
  const perSite = <T>(rows: T[], value: (row: T) => number | null, labels: (row: T) => Record<SiteLabel, string>): Array<ScrapedValue<SiteLabel>> =>
    rows.flatMap((row) => {
      const v = value(row);
      return v === null ? [] : [{ labels: labels(row), value: v }];
    });

  metrics.addScrapeGauge('session_sync_lag_seconds', "How far behind now a site's scheduled runs have reached (their position; the watermark gauge says what is complete)", ['source', 'account', 'site'], async () => {
    const now = Date.now();
    return (await facts()).flatMap((fact) => {
      const until = Math.max(fact.watermark ?? 0, fact.lastSyncedUntil ?? 0);
      return until > 0 ? [{ labels: { source: fact.source, account: fact.customerId, site: fact.siteId }, value: (now - until) / 1000 }] : [];
    });
  });
  metrics.addScrapeGauge('session_sync_last_success_timestamp_seconds', 'When a sync run of the site last succeeded (Unix seconds)', SITE_LABELS, async () =>
    perSite(await facts(), (fact) => (fact.lastSuccessAt === null ? null : fact.lastSuccessAt / 1000), labelsOf),
  );
  metrics.addScrapeGauge('session_sync_watermark_timestamp_seconds', "Before this instant the site's copy is complete (Unix seconds)", SITE_LABELS, async () =>
    perSite(await coverage(), ({ states }) => (states.watermark === null ? null : states.watermark / 1000), ({ site }) => labelsOf(site)),
  );
  metrics.addScrapeGauge('session_sync_fresh_until_timestamp_seconds', 'The newest instant of the site synced at all (Unix seconds)', SITE_LABELS, async () =>
    perSite(await coverage(), ({ states }) => (states.freshUntil === null ? null : states.freshUntil / 1000), ({ site }) => labelsOf(site)),
  );
  metrics.addScrapeGauge('session_sync_coverage_gap_seconds', "Seconds of the site's history that no run synced (missing, failed or still running), before its newest synced instant", SITE_LABELS, async () =>
    perSite(await coverage(), ({ states }) => states.gaps.reduce((sum, gap) => sum + (gap.to - gap.from), 0) / 1000, ({ site }) => labelsOf(site)),
  );
  metrics.addScrapeGauge('session_sync_coverage_expired_seconds', "Seconds of the site's history that retention removed (sync.retention): neither complete nor a gap", SITE_LABELS, async () =>
    perSite(await coverage(), ({ states }) => states.expired.reduce((sum, part) => sum + (part.to - part.from), 0) / 1000, ({ site }) => labelsOf(site)),
  );
  // Each site's thresholds beside its watermark, so one alert rule honours every site's own (alerts/session-sync-alerts.yml).
  metrics.addScrapeGauge('session_sync_freshness_warn_after_seconds', "The watermark age past which the site is late (its freshness.warnAfter, or derived from its schedule)", SITE_LABELS, async () =>
    sites.map((site) => ({ labels: labelsOf(site), value: freshnessThresholds(site, Date.now()).warnAfterMs / 1000 })),
  );
  metrics.addScrapeGauge('session_sync_freshness_error_after_seconds', "The watermark age past which the site is stale (its freshness.errorAfter, or derived from its schedule)", SITE_LABELS, async () =>
    sites.map((site) => ({ labels: labelsOf(site), value: freshnessThresholds(site, Date.now()).errorAfterMs / 1000 })),
  );
  if (!schedules) return;
  const infos = sharedWhileInFlight(() => Promise.all(sites.map(async (site) => ({ site, description: await describeOrNull(schedules.client, scheduleId(schedules.taskQueue, site)).catch(() => null) }))));
  metrics.addScrapeCounter('session_sync_scheduled_runs_skipped_total', "Runs a site's schedule did not start because one was still going (overlap policy), from Temporal's ScheduleInfo", SITE_LABELS, async () =>
    perSite(await infos(), ({ description }) => description?.info.numActionsSkippedOverlap ?? null, ({ site }) => labelsOf(site)),
  );
  metrics.addScrapeCounter('session_sync_scheduled_runs_missed_total', "Runs a site's schedule missed because they were later than its catch-up window, from Temporal's ScheduleInfo", SITE_LABELS, async () =>
    perSite(await infos(), ({ description }) => description?.info.numActionsMissedCatchupWindow ?? null, ({ site }) => labelsOf(site)),
  );
}

/**
 * One read for every gauge of a scrape: prom-client collects the gauges
 * concurrently, so callers arriving while a read is in flight share it.
 */
function sharedWhileInFlight<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () => {
    inFlight ??= read().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}
