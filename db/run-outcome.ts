import { sql } from 'kysely';

/**
 * How a run ended when its row cannot say: a run whose workflow Temporal
 * ended at its deadline (a scheduled run's runTimeout) runs no more code, so
 * its row stays 'running'. Past `deadline_at` it is not running, whatever
 * the row says: readers show it failed, with this message. The row itself is
 * left as the run wrote it.
 */
export const TIMED_OUT_MESSAGE = "ended by its run timeout (the schedule's runTimeout) before it finished; the next run syncs its range again";

/** Whether a `sync_runs` row is a run Temporal ended at its deadline. */
export const endedByDeadline = sql<boolean>`(status = 'running' and deadline_at <= now())`;

/** A `sync_runs` row's status as readers should see it. */
export const effectiveStatus = sql<'running' | 'succeeded' | 'failed' | 'cancelled'>`(case when ${endedByDeadline} then 'failed' else status end)`;

/** A `sync_runs` row's error as readers should see it. */
export const effectiveError = sql<string | null>`(case when ${endedByDeadline} then ${TIMED_OUT_MESSAGE} else error end)`;

/** When a `sync_runs` row's run ended, if it did. */
export const effectiveEndedAt = sql<Date | null>`(case when ${endedByDeadline} then deadline_at else finished_at end)`;
