import type { Kysely } from 'kysely';
import type { SiteConfig } from '../config/site-config.js';
import type { Database } from '../db/database.js';
import { SitePartitions } from '../db/site-partitions.js';
import type { Logger } from '../logging/logger.js';
import { partitionedTableOf } from '../sources/partitioned-tables.js';

/** How far ahead of now every configured site has partitions: a scheduled run never waits for one, and a worker down over a weekend finds them there. */
export const PARTITIONS_AHEAD_MS = 3 * 86_400_000;
const DAY_MS = 86_400_000;

export interface PartitionsAhead {
  /** Stops the rounds, waiting for one in progress. */
  stop(): Promise<void>;
}

/**
 * Creates the partitions every configured site needs from the start of
 * today to PARTITIONS_AHEAD_MS from now, once before the worker polls and
 * then every `intervalMs`. Loads make sure of their own window's
 * partitions too (a backfill of last year); this keeps the days to come
 * ready even for workers of the release before partitioning, which create
 * none. Every worker of a fleet does it; creating is idempotent. A round
 * that fails is logged and made again next time.
 *
 * @example const ahead = await keepPartitionsAhead({ db, sites, intervalMs: 3_600_000, log })
 */
export async function keepPartitionsAhead(deps: { db: Kysely<Database>; sites: readonly SiteConfig[]; intervalMs: number; log: Logger; now?: () => number }): Promise<PartitionsAhead> {
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
  };
  const logFailure = (error: unknown) => log.warn({ err: error }, `could not create the partitions ahead of the data; trying again in ${Math.round(intervalMs / 60_000)} min (loads create their own)`);
  await round().catch(logFailure);
  let inProgress: Promise<void> | undefined;
  const timer = setInterval(() => {
    inProgress ??= round()
      .catch(logFailure)
      .finally(() => (inProgress = undefined));
  }, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await inProgress;
    },
  };
}
