import type { Kysely } from 'kysely';
import type { Config } from '../config/load-config.js';
import type { Database } from '../db/database.js';
import type { SiteConfig } from '../config/site-config.js';
import { closeAbandonedRuns } from '../operations/abandoned-runs.js';
import { planBudgets } from '../operations/budget-plan.js';
import { siteCoverageStates } from '../read-model/site-coverage.js';
import { DAY_MS } from '../workflows/scheduled-range.js';
import type { RunResult } from '../workflows/sync-contract.js';
import { streamKeyOf } from '../workflows/stream-key.js';
import { backfillCommand } from './backfill-command.js';
import { findSite } from './find-site.js';
import { formatDuration } from '../read-model/duration-words.js';
import { formatTime } from './format.js';
import { optionalRange } from './iso-instant.js';
import { connectTemporalClient } from '../temporal/connect-temporal.js';
import type { Print } from './print.js';

export interface BackfillGapsOptions {
  site: string;
  from?: string;
  to?: string;
  detach: boolean;
}

/**
 * `session-sync backfill --gaps --site S [--from A] [--to B]`: backfills
 * exactly the site's missing and failed ranges (those `coverage` reports),
 * after saying what it will fetch and what the planner expects that to cost.
 * Ranges a run is syncing now are left to it; a run that Temporal ended
 * without it recording its end (terminated by hand) is first closed as
 * failed, so its range is repaired rather than left to nobody. Idempotent:
 * each gap's backfill has the id of its site and range, so running it again
 * attaches.
 */
export async function backfillGapsCommand(config: Config, db: Kysely<Database>, options: BackfillGapsOptions, print: Print, interactive = false, now = Date.now()): Promise<RunResult[]> {
  const site = findSite(config.sites, options.site);
  const range = { ...optionalRange(options), now };
  const name = `${site.customerId}/${site.siteId}`;
  await closeRunsTemporalEnded(config, db, site, name, print);
  const { states } = await siteCoverageStates(db, site, range);
  const running = states.gaps.filter((gap) => gap.state === 'running');
  const gaps = states.gaps.filter((gap) => gap.state !== 'running');
  for (const gap of running) print(`${name}: ${formatTime(gap.from)} .. ${formatTime(gap.to)} is being synced by a running run; left to it`);
  if (gaps.length === 0) {
    print(`${name}: no gaps to backfill${range.from !== undefined || range.to !== undefined ? ' in that range' : ''}`);
    return [];
  }
  print(`${name}: ${gaps.length} gap${gaps.length === 1 ? '' : 's'} to backfill:`);
  for (const gap of gaps) print(`  ${formatTime(gap.from)} .. ${formatTime(gap.to)} (${gap.state}, ${formatDuration(gap.to - gap.from)})`);
  print(`  ${await costLine(db, site, gaps, now)}`);
  const results: RunResult[] = [];
  for (const gap of gaps) {
    const totals = await backfillCommand(config, { site: options.site, from: new Date(gap.from).toISOString(), to: new Date(gap.to).toISOString(), force: false, detach: options.detach }, print, interactive);
    if (totals) results.push(totals);
  }
  return results;
}

/** Runs the copy marks running whose workflows Temporal has ended: closed as failed, each said. */
async function closeRunsTemporalEnded(config: Config, db: Kysely<Database>, site: SiteConfig, name: string, print: Print): Promise<void> {
  const client = await connectTemporalClient(config.temporal.connection);
  try {
    for (const run of await closeAbandonedRuns(db, client, streamKeyOf(site))) {
      print(`${name}: run ${run.workflowId} ended in Temporal (${run.ended}) without recording its end; its range is a gap again`);
    }
  } finally {
    await client.connection.close();
  }
}

/** The planner's estimate for the gaps' days: requests and hours in the account's headroom, or why it cannot tell. */
async function costLine(db: Kysely<Database>, site: ReturnType<typeof findSite>, gaps: Array<{ from: number; to: number }>, now: number): Promise<string> {
  const days = Math.max(1, Math.ceil(gaps.reduce((sum, gap) => sum + gap.to - gap.from, 0) / DAY_MS));
  const plan = await planBudgets(db, [site], { now, backfillDays: days, warnShare: 0.8 });
  const estimate = plan.accounts[0]?.sites[0]?.backfill ?? null;
  if (!estimate) return `cost: unknown (the planner has no history of this site to model ${days} day${days === 1 ? '' : 's'} from)`;
  const time = estimate.hours === null ? 'no headroom left in the account budget' : `about ${formatDuration(estimate.hours * 3_600_000)} in the account's headroom`;
  return `cost: about ${estimate.requests} requests for ${days} day${days === 1 ? '' : 's'} (session-sync plan), ${time}`;
}
