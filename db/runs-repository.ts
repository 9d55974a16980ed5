import { sql, type Kysely, type Transaction } from 'kysely';
import { scrubSecrets } from '../config/secret.js';
import type { RunTotals, SyncCounts } from '../workflows/sync-contract.js';
import type { Database, RunStatus } from './database.js';
import { endedByDeadline } from './run-outcome.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface NewRun {
  workflowId: string;
  firstRunId: string;
  kind: string;
  source: string;
  customerId: string;
  siteId: string;
  rangeStart: number;
  rangeEnd: number;
  windowsTotal: number;
  /** When Temporal ends the run regardless, Unix ms; absent: never. */
  deadline?: number;
}

/**
 * Records that a sync run started and returns its id. Idempotent per Temporal
 * run chain, so a retried activity finds the row it already wrote.
 *
 * @example const runId = await startRun(db, { workflowId, firstRunId, ... })
 */
export async function startRun(db: Db, run: NewRun): Promise<string> {
  const row = await db
    .insertInto('sync_runs')
    .values({
      workflow_id: run.workflowId,
      first_run_id: run.firstRunId,
      kind: run.kind,
      source: run.source,
      customer_id: run.customerId,
      site_id: run.siteId,
      range_start: new Date(run.rangeStart),
      range_end: new Date(run.rangeEnd),
      status: 'running',
      windows_total: run.windowsTotal,
      deadline_at: run.deadline === undefined ? null : new Date(run.deadline),
      error: null,
      finished_at: null,
    })
    .onConflict((oc) => oc.column('first_run_id').doUpdateSet({ first_run_id: run.firstRunId }))
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Adds one page's counts to the run, in the page's transaction. */
export async function addToRun(db: Db, runId: string, increment: RunTotals): Promise<void> {
  await db
    .updateTable('sync_runs')
    .set({
      pages: sql`pages + ${increment.pages}`,
      sessions: sql`sessions + ${increment.sessions}`,
      requests: sql`requests + ${increment.requests}`,
      rejects: sql`rejects + ${increment.rejects}`,
      suppressed: sql`suppressed + ${increment.suppressed ?? 0}`,
      windows_done: sql`windows_done + ${increment.windowsDone}`,
    })
    .where('id', '=', runId)
    .execute();
}

/**
 * Closes the run with its outcome (the error message is what `status`
 * shows) and returns the totals its pages committed.
 */
export async function finishRun(db: Db, runId: string, status: Exclude<RunStatus, 'running'>, error: string | null): Promise<SyncCounts> {
  return db
    .updateTable('sync_runs')
    .set({ status, error: error === null ? null : scrubSecrets(error), finished_at: sql`now()` })
    .where('id', '=', runId)
    .returning(['pages', 'sessions', 'requests', 'rejects', sql<number>`suppressed::integer`.as('suppressed')])
    .executeTakeFirstOrThrow();
}

/** A stream's requests and windows over its runs that succeeded since `since`: what its windows cost. */
export async function requestsAndWindowsSince(db: Db, stream: { source: string; customerId: string; siteId: string }, since: number): Promise<{ requests: number; windows: number }> {
  const row = await db
    .selectFrom('sync_runs')
    .select([sql<string>`coalesce(sum(requests), 0)`.as('requests'), sql<string>`coalesce(sum(windows_done), 0)`.as('windows')])
    .where('source', '=', stream.source)
    .where('customer_id', '=', stream.customerId)
    .where('site_id', '=', stream.siteId)
    .where('status', '=', 'succeeded')
    .where('finished_at', '>=', new Date(since))
    .executeTakeFirstOrThrow();
  return { requests: Number(row.requests), windows: Number(row.windows) };
}

/** The stream's runs its rows still mark running, with the Temporal chain each belongs to. */
export async function runsMarkedRunning(db: Db, stream: { source: string; customerId: string; siteId: string }): Promise<Array<{ id: string; workflowId: string; firstRunId: string; pastDeadline: boolean }>> {
  const rows = await db
    .selectFrom('sync_runs')
    .select(['id', 'workflow_id', 'first_run_id', endedByDeadline.as('past_deadline')])
    .where('source', '=', stream.source)
    .where('customer_id', '=', stream.customerId)
    .where('site_id', '=', stream.siteId)
    .where('status', '=', 'running')
    .execute();
  return rows.map((row) => ({ id: row.id, workflowId: row.workflow_id, firstRunId: row.first_run_id, pastDeadline: row.past_deadline }));
}

/** Marks a run failed that Temporal ended without it recording its end; a row that recorded its end meanwhile is left alone. */
export async function closeAbandonedRun(db: Db, runId: string, error: string): Promise<void> {
  await db
    .updateTable('sync_runs')
    .set({ status: 'failed', error: scrubSecrets(error), finished_at: sql`now()` })
    .where('id', '=', runId)
    .where('status', '=', 'running')
    .execute();
}
