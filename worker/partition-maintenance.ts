import type { Kysely } from 'kysely';
import type { SiteConfig } from '../config/site-config.js';
import type { Database } from '../db/database.js';
import { SitePartitions } from '../db/site-partitions.js';
import type { Logger } from '../logging/logger.js';
import { partitionedTableOf } from '../sources/partitioned-tables.js';
import { applySiteRetention } from '../operations/site-retention.js';
import { repeatEvery, type RepeatingRound } from './repeating-round.js';

/** How far ahead of now every configured site has partitions: a scheduled run never waits for one, and a worker down over a weekend finds them there. */
export const PARTITIONS_AHEAD_MS = 3 * 86_400_000;
const DAY_MS = 86_400_000;


/**
 * Keeps every configured site's partitions, once before the worker polls
 * and then every `intervalMs`:
 * - creates those it needs from the start of today to PARTITIONS_AHEAD_MS
 *   from now. Loads make sure of their own window's partitions too (a
 *   backfill of last year); this keeps the days to come ready even for
 *   workers of the release before partitioning, which create none;
 * - applies each site's retention: drops (or detaches) its partitions past
 *   sync.retention (operations/site-retention.ts).
 * Every worker of a fleet does it; creating is idempotent and retention
 * runs on one worker at a time. A round that fails is logged and made
 * again next time.
 *
 * @example const maintenance = await maintainPartitions({ db, sites, intervalMs: 3_600_000, log })
 */
export async function maintainPartitions(deps: { db: Kysely<Database>; sites: readonly SiteConfig[]; intervalMs: number; log: Logger; now?: () => number }): Promise<RepeatingRound> {
  const { db, sites, intervalMs, log } = deps;
  const now = deps.now ?? Date.now;
  const partitions = new SitePartitions(db);
  const round = async () => {
    const from = Math.floor(now() / DAY_MS) * DAY_MS;
    for (const site of sites) {
      const table = partitionedTableOf(site);
      if (!table) continue;
      const created = await partitions.ensure(table, site, site.sync.partitionSpan, { start: from, end: now() + PARTITIONS_AHEAD_MS });
      if (created.length > 0) log.info({ site: `${site.customerId}/${site.siteId}`, table: table.name, partitions: created }, `created ${created.length} partitions ahead of the data`);
    }
    for (const report of await applySiteRetention(db, sites, { now: now(), dryRun: false })) {
      const taken = [...report.partitions, ...(report.derived?.partitions ?? [])];
      if (taken.length === 0) continue;
      const rows = taken.reduce((sum, partition) => sum + partition.rows, 0);
      log.info({ site: `${report.site.customerId}/${report.site.siteId}`, horizon: new Date(report.horizon!).toISOString(), partitions: taken.map((partition) => partition.name), rows }, `retention ${report.action} ${taken.length} partitions (${rows} rows) past the horizon`);
    }
  };
  const logFailure = (error: unknown) => log.warn({ err: error }, `partition maintenance failed (creating partitions ahead, or retention); trying again in ${Math.round(intervalMs / 60_000)} min (loads create their own partitions)`);
  await round().catch(logFailure);
  return repeatEvery(intervalMs, round, logFailure);
}
