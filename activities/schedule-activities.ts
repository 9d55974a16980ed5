import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { advanceWatermark, readWatermark } from '../db/watermarks-repository.js';
import type { AdvanceWatermarkInput, PauseSiteScheduleInput, PlanScheduledRunInput } from '../workflows/sync-contract.js';
import type { SiteSchedules } from './site-schedules.js';

/** Activities of scheduled runs: where the next run starts, moving the watermark, pausing a failing schedule. */
export function createScheduleActivities(db: Kysely<Database>, schedules: SiteSchedules) {
  return {
    /** The site's watermark, or `firstFrom` before the first scheduled run. */
    async planScheduledRun(input: PlanScheduledRunInput): Promise<number> {
      return (await readWatermark(db, input.site)) ?? input.firstFrom;
    },

    async advanceWatermark(input: AdvanceWatermarkInput): Promise<void> {
      await advanceWatermark(db, input.site, input.to);
    },

    async pauseSiteSchedule(input: PauseSiteScheduleInput): Promise<void> {
      await schedules.pause(input.site, input.reason);
    },
  };
}
