import { definitionOf } from '../sources/source-definitions.js';
import { formatDurationText, parseDuration } from './duration.js';
import type { SiteConfig } from './site-config.js';

/**
 * Settings under which some data would never be complete, each a problem
 * naming its numbers (the config is refused at start-up):
 * - a daily sweep (FullSession) that reaches back less than the longest
 *   session: sessions between the two would never be synced;
 * - a trailing re-export (FullStory) shorter than the time the source's data
 *   takes to settle: the last export of an instant would be taken before it
 *   settled. Each instant is re-exported by every run until the watermark is
 *   `refreshTrailing` past it, so the last export of it starts more than
 *   refreshTrailing plus the settle delay after it, whatever the cadence.
 */
export function completenessProblems(sites: readonly SiteConfig[], at: (site: SiteConfig) => string): string[] {
  const problems: string[] = [];
  for (const site of sites) {
    const { sync } = site;
    const { completeness } = definitionOf(site.source);
    if (completeness.reachBack && sync.sweepReachBackMs > 0 && sync.sweepReachBackMs < sync.maxSessionDurationMs) {
      const [sweep, longest] = [formatDurationText(sync.sweepReachBackMs), formatDurationText(sync.maxSessionDurationMs)];
      problems.push(`${at(site)}: sync.sweepReachBack ${sweep} is shorter than sync.maxSessionDuration ${longest}: sessions longer than ${sweep} would never be synced; set sweepReachBack to at least ${longest} (or to 0s: no sweep, every run reaches back maxSessionDuration)`);
    }
    const settles = completeness.settlesWithin === undefined ? 0 : (parseDuration(completeness.settlesWithin) as number);
    if (settles > 0 && sync.refreshTrailingMs + sync.settleDelayMs < settles) {
      const needed = formatDurationText(settles - sync.settleDelayMs);
      problems.push(
        `${at(site)}: sync.refreshTrailing ${formatDurationText(sync.refreshTrailingMs)} plus sync.settleDelay ${formatDurationText(sync.settleDelayMs)} is shorter than the ${completeness.settlesWithin} ${site.source} data takes to settle: ` +
          `the last export of an instant would come before it settled, so it would never be complete; set refreshTrailing to at least ${needed}`,
      );
    }
  }
  return problems;
}
