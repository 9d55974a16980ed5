import type { Config } from '../config/load-config.js';
import type { SiteConfig } from '../config/site-config.js';
import type { SyncRangeInput } from '../workflows/sync-range-workflow.js';
import { countWindows, MAX_WINDOWS_PER_RANGE } from '../workflows/windows.js';
import { backfillWorkflowId } from '../workflows/workflow-ids.js';
import { parseIsoInstant } from '../config/iso-instant.js';
import { formatDurationText } from '../config/duration.js';
import { findSite } from './find-site.js';
import { UsageError } from './usage-error.js';

export interface BackfillArgs {
  site: string;
  from: string;
  to: string;
  window?: number;
  force: boolean;
}

export interface BackfillRequest {
  workflowId: string;
  site: SiteConfig;
  input: SyncRangeInput;
}

/**
 * Turns `backfill` arguments into the workflow's input and its id. The id is
 * derived from site and range, so starting the same backfill twice attaches
 * to the one already running instead of doing the work twice.
 */
export function backfillRequest(config: Pick<Config, 'sites' | 'temporal'>, args: BackfillArgs, now = Date.now()): BackfillRequest {
  const problems: string[] = [];
  const from = parseIsoInstant(args.from) ?? Number.NaN;
  const to = parseIsoInstant(args.to) ?? Number.NaN;
  const expected = 'is not an ISO-8601 date (2026-03-01) or date-time with a zone (2026-03-01T12:00:00Z) that exists';
  if (Number.isNaN(from)) problems.push(`--from "${args.from}" ${expected}`);
  if (Number.isNaN(to)) problems.push(`--to "${args.to}" ${expected}`);
  if (!Number.isNaN(from) && !Number.isNaN(to) && to <= from) problems.push('--to must be after --from');
  let site: SiteConfig | undefined;
  try {
    site = findSite(config.sites, args.site);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    problems.push(error.message);
  }
  if (site && !Number.isNaN(to) && to > now - site.sync.settleDelayMs) {
    problems.push(
      `--to ${new Date(to).toISOString()} is later than now minus the settle delay (${new Date(now - site.sync.settleDelayMs).toISOString()}): ` +
        'sessions ending after that may not have reached FullSession yet, and a completed window is never fetched again. Scheduled runs cover recent data.',
    );
  }
  const horizon = site?.sync.retentionMs === null || site === undefined ? null : now - site.sync.retentionMs;
  if (site && horizon !== null && from < horizon) {
    problems.push(
      `--from ${new Date(from).toISOString()} is before the retention horizon of ${site.customerId}/${site.siteId} (sync.retention ${formatDurationText(site.sync.retentionMs as number)}: ${new Date(horizon).toISOString()}): ` +
        'retention would take it away again; backfill from the horizon on, or lengthen sync.retention first',
    );
  }
  const windowMs = args.window ?? site?.sync.backfillWindowMs;
  if (windowMs !== undefined && to > from && countWindows(from, to, windowMs, from) > MAX_WINDOWS_PER_RANGE) {
    problems.push(
      `--from..--to at this window size is ${countWindows(from, to, windowMs, from).toLocaleString('en')} windows; at most ${MAX_WINDOWS_PER_RANGE.toLocaleString('en')} are allowed: ` +
        `use --window ${Math.ceil((to - from) / MAX_WINDOWS_PER_RANGE / 3_600_000)}h or more, or split the range`,
    );
  }
  if (problems.length > 0 || !site || windowMs === undefined) throw new UsageError(problems.join('\n'));
  return {
    workflowId: backfillWorkflowId(config.temporal.taskQueue, site, from, to),
    site,
    input: {
      site: { source: site.source, customerId: site.customerId, siteId: site.siteId, credentialName: site.credentialName },
      from,
      to,
      windowMs,
      // Windows counted from --from: a range no longer than the window is one window, one reach-back.
      windowOriginMs: from,
      lookbackMs: site.sync.maxSessionDurationMs,
      force: args.force,
      kind: 'backfill',
      ratePerMinute: site.ratePerMinute,
    },
  };
}
