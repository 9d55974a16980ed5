import type { Kysely } from 'kysely';
import type { SiteConfig } from '../config/site-config.js';
import type { Database } from '../db/database.js';
import { siteSyncFacts } from '../db/site-status-repository.js';
import type { SyncMetrics } from './sync-metrics.js';

/**
 * Per-site freshness, read from Postgres at scrape time so every worker of
 * the fleet reports the same truth: lag behind now (from the watermark or the
 * latest successful range) and the time of the last successful run.
 */
export function registerSiteGauges(metrics: SyncMetrics, db: Kysely<Database>, sites: readonly SiteConfig[]): void {
  const facts = sharedWhileInFlight(() => siteSyncFacts(db, sites));
  metrics.addScrapeGauge('session_sync_lag_seconds', 'How far behind now the synced data of a site is', async () => {
    const now = Date.now();
    return (await facts()).flatMap((fact) => {
      const until = Math.max(fact.watermark ?? 0, fact.lastSyncedUntil ?? 0);
      return until > 0 ? [{ labels: { source: fact.source, account: fact.customerId, site: fact.siteId }, value: (now - until) / 1000 }] : [];
    });
  });
  metrics.addScrapeGauge('session_sync_last_success_timestamp_seconds', 'When a sync run of the site last succeeded (Unix seconds)', async () =>
    (await facts()).flatMap((fact) => (fact.lastSuccessAt ? [{ labels: { source: fact.source, account: fact.customerId, site: fact.siteId }, value: fact.lastSuccessAt / 1000 }] : [])),
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
