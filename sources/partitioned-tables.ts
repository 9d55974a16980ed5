import { FULLSESSION_SESSIONS_TABLE, FULLSTORY_EVENTS_TABLE, type PartitionedTable } from '../db/site-partitions.js';
import { DEFAULT_SOURCE } from '../workflows/stream-key.js';
import type { SiteRef } from '../workflows/sync-contract.js';

/**
 * The table partitioned by site and time that a stream's records go to,
 * if any: FullStory's events, FullSession's sessions. (FullStory's
 * individuals have no time that never changes.)
 */
export function partitionedTableOf(site: Pick<SiteRef, 'source' | 'siteId'>): PartitionedTable | undefined {
  const source = site.source ?? DEFAULT_SOURCE;
  if (source === 'fullstory') return site.siteId === 'individuals' ? undefined : FULLSTORY_EVENTS_TABLE;
  return FULLSESSION_SESSIONS_TABLE;
}
