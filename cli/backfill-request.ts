import type { Config } from '../config/load-config.js';
import type { SyncRangeInput } from '../workflows/sync-range-workflow.js';

export interface BackfillArgs {
  site: string;
  from: string;
  to: string;
  window?: number;
  force: boolean;
}

/** Thrown for operator input mistakes; the CLI prints the message and exits 2. */
export class UsageError extends Error {}

/**
 * Turns `backfill` arguments into the workflow's input and its id. The id is
 * derived from site and range, so starting the same backfill twice attaches
 * to the one already running instead of doing the work twice.
 */
export function backfillRequest(config: Pick<Config, 'fullsession' | 'sync'>, args: BackfillArgs): { workflowId: string; input: SyncRangeInput } {
  const problems: string[] = [];
  const from = Date.parse(args.from);
  const to = Date.parse(args.to);
  if (Number.isNaN(from)) problems.push(`--from "${args.from}" is not an ISO-8601 date`);
  if (Number.isNaN(to)) problems.push(`--to "${args.to}" is not an ISO-8601 date`);
  if (!Number.isNaN(from) && !Number.isNaN(to) && to <= from) problems.push('--to must be after --from');
  if (!config.fullsession.siteIds.includes(args.site)) {
    problems.push(`site "${args.site}" is not in FULLSESSION_SITE_IDS (${config.fullsession.siteIds.join(', ')})`);
  }
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  const { customerId, credentialName } = config.fullsession;
  const fromIso = new Date(from).toISOString();
  const toIso = new Date(to).toISOString();
  return {
    workflowId: `backfill:${customerId}:${args.site}:${fromIso}:${toIso}`,
    input: {
      site: { customerId, siteId: args.site, credentialName },
      from,
      to,
      windowMs: args.window ?? config.sync.windowMs,
      lookbackMs: config.sync.maxSessionDurationMs,
      force: args.force,
      kind: 'backfill',
    },
  };
}
