import type { Kysely } from 'kysely';
import { parseDuration } from '../config/duration.js';
import type { SiteConfig } from '../config/site-config.js';
import { coveredWindows, unfinishedRuns } from '../db/coverage-repository.js';
import type { Database } from '../db/database.js';
import { definitionOf } from '../sources/source-definitions.js';
import type { SourceRegistry } from '../sources/source-registry.js';
import { streamKeyOf } from '../workflows/stream-key.js';
import { coverageStates, dayStates, type CompletenessRule, type CoverageStates, type DayState, type GapState } from './coverage-states.js';
import { clip, type TimeRange } from './time-ranges.js';
import { expiredRanges } from '../db/partition-retention.js';
import { partitionedTableOf } from '../sources/partitioned-tables.js';

export interface SiteCoverage {
  source: string;
  customerId: string;
  siteId: string;
  /** The range reported. */
  from: number;
  to: number;
  watermark: number | null;
  freshUntil: number | null;
  /** What of the range is expected and not synced, and why. */
  gaps: Array<TimeRange & { state: GapState }>;
  provisional: TimeRange[];
  /** What of the range retention took away. */
  expired: TimeRange[];
  /** Records: stored records whose key lies in the day; null when the stream's records have no such key. */
  days: Array<{ day: number; state: DayState; records: number | null }>;
}

export interface CoverageRange {
  /** Default: the start of the site's history (the first instant it synced). */
  from?: number;
  /** Default: now. */
  to?: number;
  now: number;
}

/** The rule a site's windows must satisfy to prove their range complete, with the site's numbers. */
export function completenessRule(site: SiteConfig): CompletenessRule {
  const { completeness } = definitionOf(site.source);
  const settlesWithin = completeness.settlesWithin === undefined ? 0 : (parseDuration(completeness.settlesWithin) as number);
  return { reachBackMs: completeness.reachBack ? site.sync.maxSessionDurationMs : null, settleMs: Math.max(site.sync.settleDelayMs, settlesWithin) };
}

/** A site's coverage states and the range they were worked out for. */
export interface SiteCoverageStates {
  states: CoverageStates;
  from: number;
  to: number;
}

/** The two clocks and the gaps of a site over its whole history, without counts: what status, metrics and the page read. */
export async function siteCoverageStates(db: Kysely<Database>, site: SiteConfig, range: CoverageRange): Promise<SiteCoverageStates> {
  const stream = streamKeyOf(site);
  const table = partitionedTableOf(site);
  const [windows, runs, expired] = await Promise.all([coveredWindows(db, stream), unfinishedRuns(db, stream), table ? expiredRanges(db, table, site) : []]);
  const history = windows.length > 0 ? Math.min(...windows.map((window) => window.from)) : null;
  const from = range.from ?? history ?? range.now;
  const to = range.to ?? range.now;
  // Expected: the asked range, or the history up to the newest instant synced; after that is lateness, not a hole.
  const newest = windows.length > 0 ? Math.max(...windows.map((window) => window.to)) : null;
  const expectedTo = range.to ?? Math.min(to, newest ?? from);
  const expected = expectedTo > from ? { from, to: expectedTo } : null;
  const taken = expired.map((range) => ({ from: range.start, to: range.end }));
  return { states: coverageStates(windows, runs, completenessRule(site), expected, taken), from, to };
}

/** Everything `coverage` shows of a site: the states, the gaps and a day-by-day picture with the records stored per day. */
export async function siteCoverage(db: Kysely<Database>, sources: SourceRegistry, site: SiteConfig, range: CoverageRange): Promise<SiteCoverage> {
  const { states, from, to } = await siteCoverageStates(db, site, range);
  const counts = to > from ? await sources.forSite(site).recordsByDay(db, streamKeyOf(site), from, to) : new Map<number, number>();
  return {
    source: site.source,
    customerId: site.customerId,
    siteId: site.siteId,
    from,
    to,
    watermark: states.watermark,
    freshUntil: states.freshUntil,
    gaps: states.gaps,
    provisional: states.provisional.filter((part) => part.to > from && part.from < to),
    expired: clip(states.expired, { from, to }),
    days: to > from ? dayStates(states, { from, to }).map(({ day, state }) => ({ day, state, records: counts === null ? null : (counts.get(day) ?? 0) })) : [],
  };
}
