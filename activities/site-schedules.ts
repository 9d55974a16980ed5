import { ScheduleNotFoundError } from '@temporalio/client';
import type { TemporalConfig } from '../config/load-config.js';
import { scrubSecrets } from '../config/secret.js';
import { lazyTemporalClient, type LazyTemporalClient } from '../temporal/lazy-temporal-client.js';
import type { Logger } from '../logging/logger.js';
import type { SiteRef } from '../workflows/sync-contract.js';
import { scheduleId } from '../workflows/workflow-ids.js';

/**
 * Pauses a site's Temporal Schedule from inside an activity, with a note an
 * operator reads in `schedule list`, `status` and the Temporal UI. Connects
 * on first use: most workers never need it.
 */
export class SiteSchedules {
  private readonly client: LazyTemporalClient;

  constructor(
    private readonly temporal: TemporalConfig,
    private readonly log: Logger,
  ) {
    this.client = lazyTemporalClient(temporal.connection);
  }

  async pause(site: SiteRef, reason: string): Promise<void> {
    const handle = (await this.client.get()).schedule.getHandle(scheduleId(this.temporal.taskQueue, site));
    try {
      await handle.pause(scrubSecrets(`paused by session-sync at ${new Date().toISOString()}: ${reason}`));
      this.log.error({ siteId: site.siteId, customerId: site.customerId, scheduleId: handle.scheduleId, reason }, 'schedule paused after a permanent failure');
    } catch (error) {
      // Backfills of sites without a schedule fail the same way; nothing to pause.
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
