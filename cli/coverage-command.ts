import type { Kysely } from 'kysely';
import type { Config } from '../config/load-config.js';
import type { Database } from '../db/database.js';
import { siteCoverage, type SiteCoverage } from '../read-model/site-coverage.js';
import { createSources } from '../sources/source-registry.js';
import { foldDays, type CellSpan } from './coverage-cells.js';
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
  /** The terminal's width: a history wider than it is folded into weeks or months. Absent (a pipe): a cell a day. */
  columns?: number;
}

const LEGEND = "# complete  ~ provisional (a sweep or re-export still has to pass)  > running  X failed  . missing  ' ' not synced yet  - expired (removed by retention)";
const SPAN_NOTE: Record<CellSpan, string> = { day: '', week: 'a cell a week (seven days from the first), showing its worst day; ', month: 'a cell a calendar month, showing its worst day; ' };

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
  print(options.json ? JSON.stringify({ sites: reports.map(coverageJson) }, null, 2) : renderCoverage(reports, options.counts, options.columns));
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
    expired: report.expired.map((part) => ({ from: iso(part.from), to: iso(part.to) })),
    days: report.days.map((day) => ({ day: new Date(day.day).toISOString().slice(0, 10), state: day.state, records: day.records })),
  };
}

/**
 * A row per site, a cell per day (a line per day with counts), the two
 * clocks and the gaps in words, and the legend. A row wider than `columns`
 * folds its days into weeks or months, and the legend says so.
 */
export function renderCoverage(reports: SiteCoverage[], counts: boolean, columns?: number): string {
  const lines: string[] = [];
  const spans = new Set<CellSpan>();
  for (const report of reports) {
    const name = `${report.source} ${report.customerId}/${report.siteId}`;
    const first = report.days[0] ? new Date(report.days[0].day).toISOString().slice(0, 10) : '-';
    const prefix = `${name}  ${first} |`;
    const { span, cells } = foldDays(report.days, columns === undefined ? undefined : Math.max(columns - prefix.length - 1, 1));
    spans.add(span);
    lines.push(`${prefix}${cells}|`);
    if (counts) for (const day of report.days) lines.push(`  ${new Date(day.day).toISOString().slice(0, 10)}  ${day.state.padEnd(11)}  ${day.records === null ? '-' : day.records}`);
    lines.push(`  complete to ${formatTime(report.watermark)}; fresh to ${formatTime(report.freshUntil)}`);
    for (const gap of report.gaps) lines.push(`  gap (${gap.state}): ${formatTime(gap.from)} .. ${formatTime(gap.to)}`);
    for (const part of report.provisional) lines.push(`  provisional: ${formatTime(part.from)} .. ${formatTime(part.to)}`);
    for (const part of report.expired) lines.push(`  expired (retention): ${formatTime(part.from)} .. ${formatTime(part.to)}`);
  }
  lines.push('', `${[...spans].map((span) => SPAN_NOTE[span]).join('')}${LEGEND}`);
  return lines.join('\n');
}
