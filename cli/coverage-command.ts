import type { Kysely } from 'kysely';
import type { Config } from '../config/load-config.js';
import type { Database } from '../db/database.js';
import type { DayState } from '../read-model/coverage-states.js';
import { siteCoverage, type SiteCoverage } from '../read-model/site-coverage.js';
import { createSources } from '../sources/source-registry.js';
import { findSite } from './find-site.js';
import { formatTime } from './format.js';
import { optionalRange } from './iso-instant.js';
import type { Print } from './print.js';

export interface CoverageOptions {
  site?: string;
  from?: string;
  to?: string;
  json: boolean;
  /** Records per day beside each day's cell, on a terminal. */
  counts: boolean;
}

/** One character a day, and what it means. */
const CELLS: Record<DayState, string> = { complete: '#', provisional: '~', running: '>', failed: 'X', missing: '.', pending: ' ' };
const LEGEND = "# complete  ~ provisional (a sweep or re-export still has to pass)  > running  X failed  . missing  ' ' not synced yet";

/**
 * `session-sync coverage [--site ID] [--from ISO] [--to ISO] [--json]`: for
 * each site, the gaps and provisional ranges of its history and a picture a
 * cell per day. Returns whether any range asked about has a gap: the CLI
 * exits 1 then, as dbt's freshness does on an error.
 */
export async function coverageCommand(config: Config, db: Kysely<Database>, options: CoverageOptions, print: Print, now = Date.now()): Promise<{ sites: SiteCoverage[]; hasGap: boolean }> {
  const range = { ...optionalRange(options), now };
  const sites = options.site ? [findSite(config.sites, options.site)] : config.sites.sites;
  const sources = createSources({ config, credentials: new Map(), db });
  const reports = await Promise.all(sites.map((site) => siteCoverage(db, sources, site, range)));
  print(options.json ? JSON.stringify({ sites: reports.map(coverageJson) }, null, 2) : renderCoverage(reports, options.counts));
  return { sites: reports, hasGap: reports.some((report) => report.gaps.length > 0) };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The machine form: instants in ISO-8601, days as dates. */
export function coverageJson(report: SiteCoverage) {
  return {
    source: report.source,
    customerId: report.customerId,
    siteId: report.siteId,
    from: iso(report.from),
    to: iso(report.to),
    watermark: iso(report.watermark),
    freshUntil: iso(report.freshUntil),
    gaps: report.gaps.map((gap) => ({ from: iso(gap.from), to: iso(gap.to), state: gap.state })),
    provisional: report.provisional.map((part) => ({ from: iso(part.from), to: iso(part.to) })),
    days: report.days.map((day) => ({ day: new Date(day.day).toISOString().slice(0, 10), state: day.state, records: day.records })),
  };
}

/** A row per site, a cell per day (a line per day with counts), the two clocks and the gaps in words, and the legend. */
export function renderCoverage(reports: SiteCoverage[], counts: boolean): string {
  const lines: string[] = [];
  for (const report of reports) {
    const name = `${report.source} ${report.customerId}/${report.siteId}`;
    const first = report.days[0] ? new Date(report.days[0].day).toISOString().slice(0, 10) : '-';
    lines.push(`${name}  ${first} |${report.days.map((day) => CELLS[day.state]).join('')}|`);
    if (counts) for (const day of report.days) lines.push(`  ${new Date(day.day).toISOString().slice(0, 10)}  ${day.state.padEnd(11)}  ${day.records === null ? '-' : day.records}`);
    lines.push(`  complete to ${formatTime(report.watermark)}; fresh to ${formatTime(report.freshUntil)}`);
    for (const gap of report.gaps) lines.push(`  gap (${gap.state}): ${formatTime(gap.from)} .. ${formatTime(gap.to)}`);
    for (const part of report.provisional) lines.push(`  provisional: ${formatTime(part.from)} .. ${formatTime(part.to)}`);
  }
  lines.push('', LEGEND);
  return lines.join('\n');
}
