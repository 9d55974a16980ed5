import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { Logger } from '../logging/logger.js';
import type { SyncMetrics } from '../metrics/sync-metrics.js';
import type { SourceRegistry } from '../sources/source-registry.js';
import { createRunActivities } from './run-activities.js';
import { createScheduleActivities } from './schedule-activities.js';
import type { SiteSchedules } from './site-schedules.js';
import { createSyncPagesActivity } from './sync-page-activity.js';

export interface ActivityDeps {
  db: Kysely<Database>;
  sources: SourceRegistry;
  schedules: SiteSchedules;
  metrics: SyncMetrics;
  log: Logger;
  /** True once the worker is shutting down. */
  draining: () => boolean;
}

/**
 * Builds every activity from its dependencies; the worker is the one place
 * that creates those. Workflows import only the type.
 *
 * @example Worker.create({ activities: createActivities({ db, sources, schedules, metrics, log }), ... })
 */
export function createActivities(deps: ActivityDeps) {
  return {
    syncPages: createSyncPagesActivity(deps),
    ...createRunActivities(deps.db),
    ...createScheduleActivities(deps.db, deps.schedules),
  };
}

export type Activities = ReturnType<typeof createActivities>;
