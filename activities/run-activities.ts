import type { Kysely } from 'kysely';
import { resetCheckpoint } from '../db/checkpoints-repository.js';
import type { Database } from '../db/database.js';
import { finishRun, startRun } from '../db/runs-repository.js';
import { streamKeyOf } from '../workflows/stream-key.js';
import type { FinishRunInput, ResetWindowInput, StartRunInput, SyncCounts } from '../workflows/sync-contract.js';

/** Activities that record a run's lifecycle and reset windows on `--force`. */
export function createRunActivities(db: Kysely<Database>) {
  return {
    async startRun(input: StartRunInput): Promise<string> {
      return startRun(db, {
        workflowId: input.workflowId,
        firstRunId: input.firstRunId,
        kind: input.kind,
        ...streamKeyOf(input.site),
        rangeStart: input.window.start,
        rangeEnd: input.window.end,
        windowsTotal: input.windowsTotal,
        ...(input.deadline === undefined ? {} : { deadline: input.deadline }),
      });
    },

    /** Closes the run; returns the totals its pages committed (exact across crashes). */
    async finishRun(input: FinishRunInput): Promise<SyncCounts> {
      return finishRun(db, input.runId, input.status, input.error);
    },

    async resetWindow(input: ResetWindowInput): Promise<void> {
      await resetCheckpoint(db, {
        ...streamKeyOf(input.site),
        windowStart: input.window.start,
        windowEnd: input.window.end,
        lookbackMs: input.lookbackMs,
      });
    },
  };
}
