import { createHash } from 'node:crypto';
import type { ScheduleOptions, ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import type { SiteConfig } from '../config/site-config.js';
import type { ScheduledSyncInput, scheduledSyncWorkflow } from '../workflows/scheduled-sync-workflow.js';
import { syncMemo, syncSearchAttributes } from '../workflows/search-attributes.js';
import { scheduleId } from '../workflows/workflow-ids.js';

export type SiteScheduleOptions = ScheduleOptions<ScheduleOptionsStartWorkflowAction<typeof scheduledSyncWorkflow>>;

/**
 * The Temporal Schedule a site's config asks for: its cron in its time zone,
 * jitter, an explicit catch-up window, and runs that cannot silently stop
 * the schedule. Each run has an execution timeout (`runTimeout`), and the
 * overlap policy is BUFFER_ONE: while a run goes on, the next slot waits and
 * starts the moment it ends or times out; further slots are skipped and
 * counted (ScheduleInfo, shown by `status` and /metrics). Nothing is lost by
 * skipping: a run syncs from the watermark to its own slot, so the buffered
 * run covers every slot skipped before it. SKIP alone would let one hung run
 * without a timeout drop every later run (posthog#47045), and ALLOW_ALL would
 * run two syncs of one site at once. The action's memo carries a hash of all of it, so `schedule apply`
 * can tell "unchanged" from "needs an update" without comparing the server's
 * compiled form of the cron expression.
 */
export function siteScheduleOptions(site: SiteConfig, taskQueue: string): SiteScheduleOptions {
  const input: ScheduledSyncInput = {
    site: { source: site.source, customerId: site.customerId, siteId: site.siteId, credentialName: site.credentialName },
    windowMs: site.sync.windowMs,
    // With a daily sweep, runs reach back briefly and the sweep finds the long sessions.
    lookbackMs: site.sync.sweepReachBackMs > 0 ? Math.min(site.sync.freshReachBackMs, site.sync.maxSessionDurationMs) : site.sync.maxSessionDurationMs,
    settleDelayMs: site.sync.settleDelayMs,
    initialLookbackMs: site.sync.initialLookbackMs,
    ratePerMinute: site.ratePerMinute,
    taskQueue,
    // Only when set, so schedules of sites without it keep their config hash.
    ...(site.sync.refreshTrailingMs > 0 ? { refreshTrailingMs: site.sync.refreshTrailingMs } : {}),
    ...(site.sync.sweepReachBackMs > 0 ? { sweepLookbackMs: site.sync.sweepReachBackMs } : {}),
  };
  const spec = { cronExpressions: [site.schedule.cron], timezone: site.schedule.timezone, jitter: site.schedule.jitterMs };
  const policies = { overlap: 'BUFFER_ONE' as const, catchupWindow: site.schedule.catchupWindowMs };
  const runTimeout = site.schedule.runTimeoutMs;
  const configHash = createHash('sha256').update(JSON.stringify({ spec, policies, input, taskQueue, runTimeout })).digest('hex').slice(0, 16);
  return {
    scheduleId: scheduleId(taskQueue, site),
    spec,
    policies,
    action: {
      type: 'startWorkflow',
      workflowType: 'scheduledSyncWorkflow',
      taskQueue,
      args: [input],
      workflowExecutionTimeout: runTimeout,
      typedSearchAttributes: syncSearchAttributes(site, 'scheduled'),
      memo: { ...syncMemo(site, 'scheduled'), cron: site.schedule.cron, timezone: site.schedule.timezone, configHash },
    },
    memo: { site: `${site.customerId}/${site.siteId}`, managedBy: 'session-sync', taskQueue },
    state: { note: 'created by session-sync schedule apply' },
  };
}

/** The hash `siteScheduleOptions` put in the action's memo. */
export function configHashOf(options: { action: { memo?: Record<string, unknown> } }): unknown {
  return options.action.memo?.configHash;
}
