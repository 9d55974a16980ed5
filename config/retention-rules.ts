import { partitionedTableOf } from '../sources/partitioned-tables.js';
import { formatDurationText } from './duration.js';
import type { SiteConfig } from './site-config.js';

const DAY_MS = 86_400_000;

/**
 * Retention settings the copy cannot honour, each a problem naming its
 * numbers (the config is refused at start-up):
 * - a stream whose table is not partitioned by time (FullStory's
 *   individuals): retention drops whole partitions, never DELETEs rows;
 * - a retention no longer than what scheduled runs still write: each run
 *   exports again `refreshTrailing` before its watermark, in windows, after
 *   the settle delay (FullSession's reaching back a session's longest
 *   duration on start time), and would write into partitions retention had
 *   dropped.
 */
export function retentionProblems(sites: readonly SiteConfig[], at: (site: SiteConfig) => string): string[] {
  const problems: string[] = [];
  for (const site of sites) {
    const { retentionMs, refreshTrailingMs, windowMs, settleDelayMs } = site.sync;
    if (retentionMs === null) continue;
    const table = partitionedTableOf(site);
    if (!table) {
      problems.push(`${at(site)}.sync.retention: ${site.source} individuals have no time to expire by, so they are kept for ever; remove retention here`);
      continue;
    }
    // Windows of rows partitioned by start reach back before their own start, to rows that started earlier.
    const reachBackMs = table.longestRowMs ? Math.max(site.sync.maxSessionDurationMs, site.sync.sweepReachBackMs) : 0;
    const written = refreshTrailingMs + windowMs + settleDelayMs + reachBackMs;
    if (retentionMs <= written) {
      const days = Math.floor(written / DAY_MS) + 1;
      const terms = Object.entries({ refreshTrailing: refreshTrailingMs, window: windowMs, settleDelay: settleDelayMs, 'reach-back': reachBackMs })
        .filter(([, ms]) => ms > 0)
        .map(([name, ms]) => `${name} ${formatDurationText(ms)}`);
      problems.push(`${at(site)}.sync.retention: ${formatDurationText(retentionMs)} is not longer than what scheduled runs still write (${terms.join(' + ')}); set it to ${days}d or more`);
    }
  }
  return problems;
}
