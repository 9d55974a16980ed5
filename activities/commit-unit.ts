import { ApplicationFailure } from '@temporalio/activity';
import { sql, type Kysely } from 'kysely';
import { transactionWithCopy } from '../db/copy-transaction.js';
import { advanceCheckpoint, type CheckpointKey } from '../db/checkpoints-repository.js';
import { recordCoveredWindow } from '../db/coverage-repository.js';
import type { CheckpointRow, Database } from '../db/database.js';
import { addToRun } from '../db/runs-repository.js';
import type { FetchedUnit, UnitWrite } from '../sources/sync-source.js';
import { FailureType } from '../workflows/failure-types.js';
import { cursorKey, pagingProblem } from './paging-guard.js';

/** The run a unit is committed to, and the API requests it is to add: the unit's own and those of failed tries before it. */
export interface UnitRun {
  runId: string;
  requests: number;
}

export interface CommittedUnit extends UnitWrite {
  /** The window is complete. */
  done: boolean;
}

/**
 * Commits one fetched unit of any source in ONE transaction: its records
 * (the source's `write`), the window's cursor after it, the run's counts
 * and, for a window's last unit, the window's row in the coverage ledger.
 * Compare-and-set on the cursor, so a duplicate attempt rolls back. A unit
 * whose cursor would make paging loop writes nothing and fails the window
 * without a retry.
 */
export async function commitUnit(db: Kysely<Database>, key: CheckpointKey, checkpoint: CheckpointRow, unit: FetchedUnit, run: UnitRun): Promise<CommittedUnit> {
  const problem = pagingProblem(
    { cursorHistory: checkpoint.cursor_history, pages: checkpoint.pages, received: checkpoint.received },
    { cursor: unit.nextCursor, received: unit.received, jobStep: unit.jobStep === true },
  );
  if (problem !== null) {
    throw ApplicationFailure.nonRetryable(
      `window ${new Date(key.windowStart).toISOString()}..${new Date(key.windowEnd).toISOString()} of site ${key.siteId} stopped: ${problem}. ` +
        'Nothing of that page was written and its checkpoint stays before it; the next run of the window tries again from there.',
      FailureType.cursorLoop,
    );
  }
  const done = unit.nextCursor === undefined;
  const wrote = await transactionWithCopy(db, async (trx, copyIn) => {
    // Safe without waiting for the WAL flush: rows and cursor commit or vanish
    // together, and a lost commit only means that unit is fetched again.
    await sql`set local synchronous_commit = off`.execute(trx);
    const written = await unit.write(trx, copyIn);
    const advanced = await advanceCheckpoint(trx, key, {
      expectedCursor: checkpoint.cursor ?? undefined,
      nextCursor: unit.nextCursor,
      nextCursorKey: cursorKey(unit.nextCursor),
      done,
      sessions: written.synced,
      received: written.received ?? unit.received,
    });
    if (!advanced) {
      // Another attempt of this activity committed this unit first; ours rolls back.
      throw ApplicationFailure.retryable(`checkpoint of window ${new Date(key.windowStart).toISOString()} moved during the page`, FailureType.checkpointMoved);
    }
    if (done) await recordCoveredWindow(trx, key, checkpoint.started_at);
    await addToRun(trx, run.runId, { pages: 1, sessions: written.synced, requests: run.requests, rejects: written.rejectReasons.length, suppressed: written.suppressed ?? 0, windowsDone: done ? 1 : 0 });
    return written;
  });
  return { ...wrote, done };
}
