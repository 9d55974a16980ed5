import { partitionedTableOf } from '../sources/partitioned-tables.js';
import { formatDurationText } from './duration.js';
import type { SiteConfig } from './site-config.js';

const DAY_MS = 86_400_000;

/**
 * Retention settings the copy cannot honour, each a problem naming its
 * numbers (the config is refused at start-up):
 * - a stream whose table is not partitioned by time: retention drops whole
 *   partitions, never DELETEs rows;
 * - a retention no longer than what scheduled runs still write: each run
 *   exports again `refreshTrailing` before its watermark, in windows, after
 *   the settle delay, and would write into partitions retention had dropped.
 */
export function retentionProblems(sites: readonly SiteConfig[], at: (site: SiteConfig) => string): string[] {
  const problems: string[] = [];
  for (const site of sites) {
    const { retentionMs, refreshTrailingMs, windowMs, settleDelayMs } = site.sync;
    if (retentionMs === null) continue;
    if (!partitionedTableOf(site)) {
      problems.push(`${at(site)}.sync.retention: ${site.source} ${site.siteId === 'individuals' ? 'individuals have no time to expire by' : 'sessions are not partitioned by time in this release'}, so they are kept for ever; remove retention here`);
      continue;
    }
    const written = refreshTrailingMs + windowMs + settleDelayMs;
    if (retentionMs <= written) {
      const days = Math.floor(written / DAY_MS) + 1;
      problems.push(
        `${at(site)}.sync.retention: ${formatDurationText(retentionMs)} is not longer than what scheduled runs still write (refreshTrailing ${formatDurationText(refreshTrailingMs)} + window ${formatDurationText(windowMs)} + settleDelay ${formatDurationText(settleDelayMs)}); set it to ${days}d or more`,
      );
    }
  }
  return problems;
}
