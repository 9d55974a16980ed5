import { ScheduleNotFoundError, type Client, type ScheduleDescription } from '@temporalio/client';
import type { Config } from '../config/load-config.js';
import { describeOrNull, describeSchedules, managedScheduleIds, type ScheduleRow } from '../operations/schedule-descriptions.js';
import type { SiteConfig } from '../config/site-config.js';
import { legacyScheduleId, scheduleId } from '../workflows/workflow-ids.js';
import { ensureSearchAttributes } from '../temporal/ensure-search-attributes.js';
import { findSite } from './find-site.js';
import { formatTable, formatTime } from './format.js';
import type { Print } from './print.js';
import { operatorMessage } from './operator-message.js';
import { configHashOf, siteScheduleOptions, type SiteScheduleOptions } from './site-schedule-options.js';
import { connectTemporalClient } from '../temporal/connect-temporal.js';
import { UsageError } from './usage-error.js';

export type ApplyOutcome = 'created' | 'moved' | 'updated' | 'unchanged' | 'deleted' | 'orphaned' | 'failed';

async function withClient<T>(config: Config, run: (client: Client) => Promise<T>): Promise<T> {
  const client = await connectTemporalClient(config.temporal.connection);
  try {
    return await run(client);
  } finally {
    await client.connection.close();
  }
}

/**
 * `schedule apply [--prune]`: makes Temporal's schedules match the config,
 * one per site. Idempotent: a second apply reports every schedule
 * unchanged. An update keeps a schedule's paused state and note, so applying
 * never silently resumes a schedule paused for a revoked key.
 */
export async function applySchedulesCommand(config: Config, options: { prune: boolean }, print: Print): Promise<Map<string, ApplyOutcome>> {
  return withClient(config, async (client) => {
    await ensureSearchAttributes(client, config.temporal.namespace);
    const outcomes = new Map<string, ApplyOutcome>();
    const movedFrom = new Map<string, string>();
    const failures = new Map<string, string>();
    for (const site of config.sites.sites) {
      const desired = siteScheduleOptions(site, config.temporal.taskQueue);
      try {
        outcomes.set(desired.scheduleId, await applySiteSchedule(client, site, desired, config.temporal.taskQueue, movedFrom));
      } catch (error) {
        // One site's failure must not leave the sites after it unapplied.
        outcomes.set(desired.scheduleId, 'failed');
        failures.set(desired.scheduleId, operatorMessage(error));
      }
    }
    for (const id of await managedScheduleIds(client, config.temporal.taskQueue)) {
      // Listing lags behind: a schedule just moved may still be listed under its old id.
      if (outcomes.has(id) || [...movedFrom.values()].includes(id)) continue;
      if (options.prune) await client.schedule.getHandle(id).delete();
      outcomes.set(id, options.prune ? 'deleted' : 'orphaned');
    }
    for (const [id, outcome] of outcomes) {
      const why =
        outcome === 'orphaned' ? ' (no longer in the config; `schedule apply --prune` deletes it)'
        : outcome === 'moved' ? ` (from ${movedFrom.get(id)}, paused state and note kept)`
        : outcome === 'failed' ? `: ${failures.get(id)}`
        : '';
      print(`${outcome.padEnd(9)} ${id}${why}`);
    }
    return outcomes;
  });
}

/** Creates, moves or updates one site's schedule; an update keeps its paused state and note. */
async function applySiteSchedule(client: Client, site: SiteConfig, desired: SiteScheduleOptions, taskQueue: string, movedFrom: Map<string, string>): Promise<ApplyOutcome> {
  const existing = await describeOrNull(client, desired.scheduleId);
  if (!existing) {
    const legacy = await legacyScheduleOf(client, site, taskQueue);
    await client.schedule.create(legacy ? { ...desired, state: { paused: legacy.state.paused, note: legacy.state.note } } : desired);
    if (!legacy) return 'created';
    await client.schedule.getHandle(legacy.scheduleId).delete();
    movedFrom.set(desired.scheduleId, legacy.scheduleId);
    return 'moved';
  }
  if (configHashOf(existing) === configHashOf(desired)) return 'unchanged';
  await client.schedule.getHandle(desired.scheduleId).update((previous) => ({
    spec: desired.spec,
    action: desired.action,
    policies: desired.policies,
    state: { paused: previous.state.paused, note: previous.state.note },
  }));
  return 'updated';
}

/**
 * The site's schedule under the id used before ids named the task queue, if
 * this deployment made it (its memo names our task queue).
 */
async function legacyScheduleOf(client: Client, site: SiteConfig, taskQueue: string): Promise<ScheduleDescription | null> {
  const legacy = await describeOrNull(client, legacyScheduleId(site));
  return legacy?.memo?.taskQueue === taskQueue ? legacy : null;
}

export async function listSchedulesCommand(config: Config, print: Print): Promise<ScheduleRow[]> {
  return withClient(config, async (client) => {
    const rows = await describeSchedules(client, config);
    print(
      formatTable(
        ['SCHEDULE', 'CRON', 'TIMEZONE', 'STATE', 'NEXT RUN', 'LAST RUN', 'NOTE'],
        rows.map((row) => [
          row.scheduleId + (row.inConfig ? '' : ' (not in config)'),
          row.cron,
          row.timezone,
          row.paused ? 'paused' : 'active',
          row.paused ? '-' : formatTime(row.nextRun),
          formatTime(row.lastRun),
          row.note ?? '',
        ]),
      ),
    );
    return rows;
  });
}

export type ScheduleAction = 'pause' | 'resume' | 'trigger';

/** `schedule pause|resume|trigger SITE`: acts on one configured site's schedule. */
export async function scheduleActionCommand(config: Config, action: ScheduleAction, siteName: string, reason: string | undefined, print: Print): Promise<void> {
  const site = findSite(config.sites, siteName);
  await withClient(config, async (client) => {
    const handle = client.schedule.getHandle(scheduleId(config.temporal.taskQueue, site));
    const note = `${action === 'pause' ? 'paused' : 'resumed'} by an operator at ${new Date().toISOString()}${reason ? `: ${reason}` : ''}`;
    try {
      if (action === 'pause') await handle.pause(note);
      if (action === 'resume') await handle.unpause(note);
      if (action === 'trigger') await handle.trigger();
    } catch (error) {
      // Temporal says "workflow not found" of a schedule that does not exist.
      if (error instanceof ScheduleNotFoundError || /not found/i.test((error as Error).message)) {
        throw new UsageError(`site ${site.customerId}/${site.siteId} has no schedule on task queue ${config.temporal.taskQueue} yet: create it with \`session-sync schedule apply\`, then ${action} it`);
      }
      throw error;
    }
    print(`${action === 'trigger' ? 'triggered' : note.split(' ')[0]} ${handle.scheduleId}`);
  });
}

