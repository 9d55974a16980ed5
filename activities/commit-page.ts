import { ApplicationFailure } from '@temporalio/activity';
import { sql, type Kysely } from 'kysely';
import { advanceCheckpoint, type CheckpointKey } from '../db/checkpoints-repository.js';
import type { CheckpointRow, Database } from '../db/database.js';
import { insertRejects } from '../db/rejects-repository.js';
import { addToRun } from '../db/runs-repository.js';
import { upsertSessions } from '../db/sessions-repository.js';
import type { FullSessionPage } from '../sources/fullsession/page-body.js';
import { parseSessionRecord, type FullSessionRecord, type RejectedRecord } from '../sources/fullsession/session-record.js';
import type { SyncWindow } from '../workflows/sync-contract.js';
import { ownsSession } from '../workflows/windows.js';
import { FailureType } from './failures.js';
import { cursorKey, pagingProblem } from './paging-guard.js';

/** A fetched page, parsed and checked, ready for its transaction. */
export interface PreparedPage {
  key: CheckpointKey;
  /** The cursor the page was fetched with: the checkpoint moves only from there. */
  expectedCursor: unknown;
  nextCursor: unknown;
  done: boolean;
  /** The window's sessions in the page, valid and de-duplicated. */
  owned: FullSessionRecord[];
  rejects: RejectedRecord[];
  received: number;
}

/**
 * Parses a page fetched from `checkpoint` into what the window keeps and
 * what goes to rejects. A page whose cursor would make paging loop fails the
 * window without a retry, before anything of it is written.
 */
export function preparePage(key: CheckpointKey, window: SyncWindow, checkpoint: CheckpointRow, page: FullSessionPage): PreparedPage {
  const problem = pagingProblem({ cursorHistory: checkpoint.cursor_history, pages: checkpoint.pages, received: checkpoint.received }, page.nextCursor, page.sessions.length);
  if (problem !== null) {
    throw ApplicationFailure.nonRetryable(
      `window ${new Date(window.start).toISOString()}..${new Date(window.end).toISOString()} of site ${key.siteId} stopped: ${problem}. ` +
        'Nothing of that page was written and its checkpoint stays before it; the next run of the window tries again from there.',
      FailureType.cursorLoop,
    );
  }
  const { owned, rejects } = splitPage(page.sessions, (record) => ownsSession(window, record.endTime));
  return {
    key,
    expectedCursor: checkpoint.cursor ?? undefined,
    nextCursor: page.nextCursor,
    done: page.nextCursor === undefined,
    owned,
    rejects,
    received: page.sessions.length,
  };
}

/**
 * Commits one prepared page in ONE transaction: its sessions, its rejects,
 * the window's cursor after it and the run's counts. Every record either
 * lands or is a reject with its reason, and every value is one Postgres can
 * store, so one record cannot fail the page. Returns the rows inserted or changed.
 */
export async function commitPage(db: Kysely<Database>, page: PreparedPage, run: { runId: string; requests: number }): Promise<number> {
  const { key, owned, rejects, done } = page;
  return db.transaction().execute(async (trx) => {
    // Safe without waiting for the WAL flush: rows and cursor commit or vanish
    // together, and a lost commit only means that page is fetched again.
    await sql`set local synchronous_commit = off`.execute(trx);
    const written = await upsertSessions(trx, key.customerId, key.siteId, owned);
    await insertRejects(trx, key.customerId, key.siteId, rejects);
    const advanced = await advanceCheckpoint(trx, key, {
      expectedCursor: page.expectedCursor,
      nextCursor: page.nextCursor,
      nextCursorKey: cursorKey(page.nextCursor),
      done,
      sessions: owned.length,
      received: page.received,
    });
    if (!advanced) {
      // Another attempt of this activity committed this page first; ours rolls back.
      throw ApplicationFailure.retryable(`checkpoint of window ${new Date(key.windowStart).toISOString()} moved during the page`, FailureType.checkpointMoved);
    }
    await addToRun(trx, run.runId, { pages: 1, sessions: owned.length, requests: run.requests, rejects: rejects.length, windowsDone: done ? 1 : 0 });
    return written;
  });
}

/**
 * Parses a page's raw sessions: valid ones this window owns (deduplicated by
 * id, last wins, since the API's order is undocumented) and rejects.
 */
function splitPage(raw: unknown[], owns: (record: FullSessionRecord) => boolean): { owned: FullSessionRecord[]; rejects: RejectedRecord[] } {
  const byId = new Map<string, FullSessionRecord>();
  const rejects: RejectedRecord[] = [];
  for (const item of raw) {
    const parsed = parseSessionRecord(item);
    if (!parsed.ok) rejects.push(parsed.reject);
    else if (owns(parsed.record)) byId.set(parsed.record.sessionId, parsed.record);
  }
  return { owned: [...byId.values()], rejects };
}
