import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { advanceSweptUntil, advanceWatermark, readSweptUntil, readWatermark } from '../db/watermarks-repository.js';
import { streamKeyOf } from '../workflows/stream-key.js';
import type { AdvanceWatermarkInput, PauseSiteScheduleInput, ReadWatermarkInput } from '../workflows/sync-contract.js';
import type { SiteSchedules } from './site-schedules.js';

/** Activities of scheduled runs: where the next run and sweep start, moving their marks, pausing a failing schedule. */
export function createScheduleActivities(db: Kysely<Database>, schedules: SiteSchedules) {
  return {
    /** Where the site's last scheduled run stopped, or null before the first one. */
    async readWatermark(input: ReadWatermarkInput): Promise<number | null> {
      return readWatermark(db, streamKeyOf(input.site));
    },

    async advanceWatermark(input: AdvanceWatermarkInput): Promise<void> {
      await advanceWatermark(db, streamKeyOf(input.site), input.to);
    },

    /** Where the site's daily sweep has reached, or null before the first one. */
    async readSweptUntil(input: ReadWatermarkInput): Promise<number | null> {
      return readSweptUntil(db, streamKeyOf(input.site));
    },

    async advanceSweptUntil(input: AdvanceWatermarkInput): Promise<void> {
      await advanceSweptUntil(db, streamKeyOf(input.site), input.to);
    },

    async pauseSiteSchedule(input: PauseSiteScheduleInput): Promise<void> {
      await schedules.pause(input.site, input.reason);
    },
  };
}
