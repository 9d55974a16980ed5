import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { Config } from '../config/load-config.js';
import type { Database } from '../db/database.js';
import { siteSyncFacts, type SiteSyncFacts } from '../db/site-status-repository.js';
import type { SyncRangeProgress } from '../workflows/progress.js';
import { progressQuery, type syncRangeWorkflow } from '../workflows/sync-range-workflow.js';
import { DEFAULT_SOURCE } from '../workflows/stream-key.js';
import { scheduleId } from '../workflows/workflow-ids.js';
import { createSources } from '../sources/source-registry.js';
import { freshnessOf, freshnessThresholds, type Freshness } from '../read-model/freshness.js';
import { siteCoverageStates, type SiteCoverageStates } from '../read-model/site-coverage.js';
import { accountBudgetUse, type AccountBudgetUse } from './account-budget-use.js';
import { describeSchedules, type ScheduleRow } from './schedule-descriptions.js';

export interface RunningSync {
  workflowId: string;
  kind: string;
  progress: SyncRangeProgress | null;
}

export interface SiteStatus extends Omit<SiteSyncFacts, 'lastSyncedUntil' | 'watermark'> {
  /** Records of the site its source's tables hold. */
  sessionsStored: number;
  /** Before this instant the copy is complete (read-model/coverage-states.ts); null before anything was synced. */
  watermark: number | null;
  /** The newest instant synced at all. */
  freshUntil: number | null;
  /** Where the site's next scheduled run starts (sync_watermarks): a position, not a claim about the data. */
  scheduledUntil: number | null;
  freshness: Freshness;
  schedule: { state: 'active' | 'paused' | 'none'; note: string | null; nextRun: number | null; skippedRuns: number; missedRuns: number };
  running: RunningSync[];
}

export interface StatusReport {
  generatedAt: number;
  sites: SiteStatus[];
  /** Each API account's request budget and what it spent in the last hour and day. */
  accounts: AccountBudgetUse[];
}

/**
 * One picture of every configured site, from Postgres (rows, watermark,
 * runs and their failures) and Temporal (schedules, running workflows and
 * their progress query).
 */
export async function siteStatus(deps: { db: Kysely<Database>; client: Client; config: Config }, now = Date.now(), coverageOfSites?: SiteCoverageStates[]): Promise<StatusReport> {
  const sites = deps.config.sites.sites;
  // Counting needs no key: the sources are built without credentials.
  const sources = createSources({ config: deps.config, credentials: new Map(), db: deps.db });
  const [facts, coverage, stored, schedules, running, accounts] = await Promise.all([
    siteSyncFacts(deps.db, sites),
    // A caller that has read the coverage already (the status page) passes it, so it is read once.
    coverageOfSites ?? Promise.all(sites.map((site) => siteCoverageStates(deps.db, site, { now }))),
    Promise.all(sites.map((site) => sources.forSite(site).countStored(deps.db, site))),
    describeSchedules(deps.client, deps.config),
    runningSyncs(deps.client, deps.config.temporal.taskQueue),
    accountBudgetUse(deps.db, sites),
  ]);
  const scheduleById = new Map<string, ScheduleRow>(schedules.map((row) => [row.scheduleId, row]));
  return {
    generatedAt: now,
    accounts,
    sites: facts.map(({ lastSyncedUntil: _lastSyncedUntil, watermark: scheduledUntil, ...fact }, index) => {
      const schedule = scheduleById.get(scheduleId(deps.config.temporal.taskQueue, fact));
      const { watermark, freshUntil } = coverage[index]!.states;
      return {
        ...fact,
        sessionsStored: stored[index] ?? 0,
        watermark,
        freshUntil,
        scheduledUntil,
        freshness: freshnessOf(watermark, freshnessThresholds(sites[index]!, now), now),
        schedule: schedule
          ? { state: schedule.paused ? 'paused' : 'active', note: schedule.note, nextRun: schedule.paused ? null : schedule.nextRun, skippedRuns: schedule.skippedRuns, missedRuns: schedule.missedRuns }
          : { state: 'none', note: null, nextRun: null, skippedRuns: 0, missedRuns: 0 },
        running: running.filter((run) => run.source === fact.source && run.site === `${fact.customerId}/${fact.siteId}`).map(({ site: _site, source: _source, ...run }) => run),
      };
    }),
  };
}

/** Range workflows running on this task queue, found by their search attributes, with live progress. */
async function runningSyncs(client: Client, taskQueue: string): Promise<Array<RunningSync & { source: string; site: string }>> {
  const runs: Array<RunningSync & { source: string; site: string }> = [];
  const query = `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running" AND WorkflowType = "syncRangeWorkflow"`;
  for await (const execution of client.workflow.list({ query })) {
    const site = String(execution.memo?.site ?? '');
    // Runs started before sources had names carry none: they are FullSession's.
    const source = String(execution.memo?.source ?? DEFAULT_SOURCE);
    const kind = String(execution.memo?.kind ?? '');
    const handle = client.workflow.getHandle<typeof syncRangeWorkflow>(execution.workflowId);
    const progress = await handle.query(progressQuery).catch(() => null);
    runs.push({ workflowId: execution.workflowId, kind, source, site, progress });
  }
  return runs;
}
