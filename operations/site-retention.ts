import type { Kysely } from 'kysely';
import type { SiteConfig } from '../config/site-config.js';
import type { Database } from '../db/database.js';
import { applyRetention, planRetention, type ExpiringPartition, type SiteRetention } from '../db/partition-retention.js';
import { partitionedTableOf } from '../sources/partitioned-tables.js';

/** What retention did (or, dry, would do) to one site. */
export interface SiteRetentionReport {
  site: SiteConfig;
  /** Null: the site keeps everything (no sync.retention). */
  retentionMs: number | null;
  horizon: number | null;
  action: 'dropped' | 'detached' | null;
  partitions: ExpiringPartition[];
  /** Partitions of the table derived from it that go with them (RetentionPlan.derived), and its name. */
  derived: { table: string; partitions: ExpiringPartition[] } | null;
  /** See RetentionPlan.keptBeforePartitioning. */
  keptBeforePartitioning: number | null;
  /** Another worker was applying retention to the table: nothing was done here. */
  busy: boolean;
}

/** A site's retention, where its config sets one (config validation ensures its table is partitioned). */
export function retentionOf(site: SiteConfig): SiteRetention | null {
  const table = partitionedTableOf(site);
  if (site.sync.retentionMs === null || !table) return null;
  return { table, site, retentionMs: site.sync.retentionMs, action: site.sync.retentionDetachOnly ? 'detached' : 'dropped' };
}

/**
 * Applies each site's retention (or, with `dryRun`, only says what it
 * would take): the worker's daily round and `session-sync retention`.
 *
 * @example await applySiteRetention(db, config.sites.sites, { now: Date.now(), dryRun: true })
 */
export async function applySiteRetention(db: Kysely<Database>, sites: readonly SiteConfig[], options: { now: number; dryRun: boolean }): Promise<SiteRetentionReport[]> {
  const reports: SiteRetentionReport[] = [];
  for (const site of sites) {
    const retention = retentionOf(site);
    if (!retention) {
      reports.push({ site, retentionMs: null, horizon: null, action: null, partitions: [], derived: null, keptBeforePartitioning: null, busy: false });
      continue;
    }
    const plan = await planRetention(db, retention, options.now);
    const busy = !options.dryRun && (await applyRetention(db, retention, plan)) === null;
    const derivedTable = retention.table.derived?.table.name;
    const derived = derivedTable ? { table: derivedTable, partitions: busy ? [] : plan.derived } : null;
    reports.push({ site, retentionMs: retention.retentionMs, horizon: plan.horizon, action: retention.action, partitions: busy ? [] : plan.partitions, derived, keptBeforePartitioning: plan.keptBeforePartitioning, busy });
  }
  return reports;
}
