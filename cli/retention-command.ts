import type { Kysely } from 'kysely';
import type { Config } from '../config/load-config.js';
import { formatDurationText } from '../config/duration.js';
import type { Database } from '../db/database.js';
import type { ExpiringPartition } from '../db/partition-retention.js';
import { applySiteRetention, type SiteRetentionReport } from '../operations/site-retention.js';
import { findSite } from './find-site.js';
import { formatTime } from './format.js';
import type { Print } from './print.js';

export interface RetentionOptions {
  site?: string;
  dryRun: boolean;
  json: boolean;
}

/**
 * `session-sync retention [--site S] [--dry-run] [--json]`: for each site,
 * its retention and horizon, and the partitions past it with their rows;
 * drops (or detaches) them unless --dry-run. Workers do the same daily.
 */
export async function retentionCommand(config: Config, db: Kysely<Database>, options: RetentionOptions, print: Print, now = Date.now()): Promise<SiteRetentionReport[]> {
  const sites = options.site ? [findSite(config.sites, options.site)] : config.sites.sites;
  const reports = await applySiteRetention(db, sites, { now, dryRun: options.dryRun });
  print(options.json ? JSON.stringify({ dryRun: options.dryRun, sites: reports.map(reportJson) }, null, 2) : reports.map((report) => renderReport(report, options.dryRun)).join('\n'));
  return reports;
}

function renderReport(report: SiteRetentionReport, dryRun: boolean): string {
  const name = `${report.site.source} ${report.site.customerId}/${report.site.siteId}`;
  if (report.retentionMs === null) return `${name}: keeps everything (no sync.retention)`;
  const lines = [`${name}: retention ${formatDurationText(report.retentionMs)}, horizon ${formatTime(report.horizon)}`];
  if (report.busy) return [...lines, '  another worker is applying retention to this table now: nothing done here'].join('\n');
  const taken = [...report.partitions, ...(report.derived?.partitions ?? [])];
  for (const partition of taken) {
    lines.push(`  ${partition.name}  ${formatTime(partition.range.start)} .. ${formatTime(partition.range.end)}  ${partition.rows.toLocaleString('en')} rows`);
  }
  const verb = dryRun ? `would be ${report.action}` : report.action;
  if (taken.length === 0) lines.push('  nothing past the horizon');
  else lines.push(`  ${takenSummary(report)}: ${verb}`);
  if (report.keptBeforePartitioning !== null) {
    lines.push(`  note: its rows before ${formatTime(report.keptBeforePartitioning)} are in the partition kept from before partitioning (every site's), which retention cannot take in part; see docs/scale.md`);
  }
  return lines.join('\n');
}

/** `7 partitions, 10,771 rows`, and the derived table's as `, and 7 partitions, 263 rows of fullstory_sessions derived from them`. */
function takenSummary(report: SiteRetentionReport): string {
  const summary = (partitions: readonly ExpiringPartition[]) => `${partitions.length} partitions, ${partitions.reduce((sum, partition) => sum + partition.rows, 0).toLocaleString('en')} rows`;
  const derived = report.derived?.partitions.length ? `, and ${summary(report.derived.partitions)} of ${report.derived.table} derived from them` : '';
  return summary(report.partitions) + derived;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const partitionJson = (partition: ExpiringPartition) => ({ name: partition.name, from: iso(partition.range.start), to: iso(partition.range.end), rows: partition.rows });

function reportJson(report: SiteRetentionReport) {
  return {
    source: report.site.source,
    customerId: report.site.customerId,
    siteId: report.site.siteId,
    retention: report.retentionMs === null ? null : formatDurationText(report.retentionMs),
    horizon: iso(report.horizon),
    action: report.action,
    busy: report.busy,
    partitions: report.partitions.map(partitionJson),
    derived: report.derived && { table: report.derived.table, partitions: report.derived.partitions.map(partitionJson) },
    keptBeforePartitioning: iso(report.keptBeforePartitioning),
  };
}
