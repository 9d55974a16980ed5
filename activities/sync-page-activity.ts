import { ApplicationFailure, Context } from '@temporalio/activity';
import { sql, type Kysely } from 'kysely';
import { advanceCheckpoint, loadCheckpoint, type CheckpointKey } from '../db/checkpoints-repository.js';
import type { Database } from '../db/database.js';
import { insertRejects } from '../db/rejects-repository.js';
import { addToRun } from '../db/runs-repository.js';
import { upsertSessions } from '../db/sessions-repository.js';
import type { Logger } from '../logging/logger.js';
import type { SyncMetrics } from '../metrics/sync-metrics.js';
import { FullSessionError } from '../sources/fullsession/fullsession-error.js';
import { parseSessionRecord, type FullSessionRecord, type RejectedRecord } from '../sources/fullsession/session-record.js';
import type { SyncPageInput, SyncPageResult } from '../workflows/sync-contract.js';
import { ownsSession, windowQuery } from '../workflows/windows.js';
import { FailureType, toActivityFailure } from './failures.js';
import { fetchPageWithinBudget } from './fetch-page-within-budget.js';
import type { FullSessionSources } from './fullsession-sources.js';
import { keepHeartbeating } from './heartbeat.js';

export interface SyncPageDeps {
  db: Kysely<Database>;
  sources: FullSessionSources;
  metrics: SyncMetrics;
  log: Logger;
  /** True once the worker is shutting down: finish the page in flight, start no other. */
  draining: () => boolean;
}

const WINDOW_ALREADY_DONE: SyncPageResult = { windowDone: true, requests: 0, pages: 0, sessionsSynced: 0, sessionsWritten: 0, sessionsReceived: 0, rejects: 0 };

/** A chunk ends after this many pages or this long, whichever comes first, keeping progress fresh and shutdown quick. */
const MAX_CHUNK_MS = 5_000;

/**
 * Syncs the next pages of one window, up to `maxPages`: for each, reads the
 * window's cursor from Postgres, fetches the page, and commits the page's
 * sessions, its rejects and the cursor after it in ONE transaction. The
 * cursor lives only in Postgres, so a crash at any instant costs at most a
 * re-fetch of the page in flight. Several pages per activity spare Temporal
 * a workflow task per page; the chunk stops early when the worker drains.
 * A transient failure after some pages committed ends the chunk with what
 * was done (the next chunk meets the failure again and reports it), so the
 * workflow's counts stay exact.
 */
export function createSyncPagesActivity(deps: SyncPageDeps) {
  return async function syncPages(input: SyncPageInput): Promise<SyncPageResult> {
    const stopHeartbeat = keepHeartbeating();
    const chunk = emptyResult();
    const deadline = Date.now() + MAX_CHUNK_MS;
    try {
      do {
        addTo(chunk, await syncNextPage(deps, input));
      } while (!chunk.windowDone && chunk.pages < (input.maxPages ?? 1) && Date.now() < deadline && !deps.draining());
      return chunk;
    } catch (error) {
      // Transient: report the pages done; the next chunk retries the failing one. Permanent: fail now.
      if (chunk.pages > 0 && !(error instanceof FullSessionError && error.permanent)) return chunk;
      const { attempt } = Context.current().info;
      if (error instanceof FullSessionError && error.kind === 'malformed') {
        pageLogger(deps.log, input).error({ attempt, bodyExcerpt: error.details.bodyExcerpt }, 'malformed page; nothing of it was written');
      }
      throw toActivityFailure(error, attempt);
    } finally {
      stopHeartbeat();
    }
  };
}

function emptyResult(): SyncPageResult {
  return { windowDone: false, requests: 0, pages: 0, sessionsSynced: 0, sessionsWritten: 0, sessionsReceived: 0, rejects: 0 };
}

function addTo(chunk: SyncPageResult, page: SyncPageResult): void {
  chunk.windowDone = page.windowDone;
  chunk.requests += page.requests;
  chunk.pages += page.pages;
  chunk.sessionsSynced += page.sessionsSynced;
  chunk.sessionsWritten += page.sessionsWritten;
  chunk.sessionsReceived += page.sessionsReceived;
  chunk.rejects += page.rejects;
}

async function syncNextPage(deps: SyncPageDeps, input: SyncPageInput): Promise<SyncPageResult> {
  const { site, window, lookbackMs } = input;
  const key: CheckpointKey = { customerId: site.customerId, siteId: site.siteId, windowStart: window.start, windowEnd: window.end, lookbackMs };
  const checkpoint = await loadCheckpoint(deps.db, key);
  if (checkpoint.status === 'done') return WINDOW_ALREADY_DONE;

  const cursor = checkpoint.cursor ?? undefined;
  const timer = phaseTimer(deps.metrics);
  const { page, requests } = await fetchPageWithinBudget(deps.sources.forSite(site), {
    customerId: site.customerId,
    siteId: site.siteId,
    ...windowQuery(window, lookbackMs),
    cursor,
  });
  if (page.nextCursor !== undefined && JSON.stringify(page.nextCursor) === JSON.stringify(cursor)) {
    throw ApplicationFailure.retryable(`FullSession returned the cursor it was given (${String(cursor)}) for site ${site.siteId}; paging would loop`, FailureType.repeatedCursor);
  }
  timer.lap('fetch');
  const { owned, rejects } = splitPage(page.sessions, (record) => ownsSession(window, record.endTime));
  const done = page.nextCursor === undefined;
  timer.lap('prepare');

  const written = await deps.db.transaction().execute(async (trx) => {
    // Safe without waiting for the WAL flush: rows and cursor commit or vanish
    // together, and a lost commit only means that page is fetched again.
    await sql`set local synchronous_commit = off`.execute(trx);
    const count = await upsertSessions(trx, site.customerId, site.siteId, owned);
    await insertRejects(trx, site.customerId, site.siteId, rejects);
    const advanced = await advanceCheckpoint(trx, key, { expectedCursor: cursor, nextCursor: page.nextCursor, done, sessions: owned.length });
    if (!advanced) {
      // Another attempt of this activity committed this page first; ours rolls back.
      throw ApplicationFailure.retryable(`checkpoint of window ${new Date(window.start).toISOString()} moved during the page`, FailureType.checkpointMoved);
    }
    await addToRun(trx, input.runId, { pages: 1, sessions: owned.length, requests, rejects: rejects.length, windowsDone: done ? 1 : 0 });
    return count;
  });
  timer.lap('write');

  const labels = { account: site.customerId, site: site.siteId };
  deps.metrics.pages.inc(labels);
  deps.metrics.sessionsSynced.inc(labels, owned.length);
  deps.metrics.sessionsUpserted.inc(labels, written);
  deps.metrics.rejects.inc(labels, rejects.length);
  const result = { windowDone: done, requests, pages: 1, sessionsSynced: owned.length, sessionsWritten: written, sessionsReceived: page.sessions.length, rejects: rejects.length };
  const log = pageLogger(deps.log, input);
  log.debug(result, 'page synced');
  if (rejects.length > 0) log.warn({ rejects: rejects.map((r) => r.reason) }, 'sessions rejected');
  return result;
}

/** Measures consecutive phases of one page into the phase histogram. */
function phaseTimer(metrics: SyncMetrics) {
  let last = performance.now();
  return {
    lap(phase: 'fetch' | 'prepare' | 'write') {
      const now = performance.now();
      metrics.pagePhaseSeconds.observe({ phase }, (now - last) / 1000);
      last = now;
    },
  };
}

/** Every line about a page carries its site, workflow and window. */
function pageLogger(log: Logger, input: SyncPageInput): Logger {
  return log.child({
    customerId: input.site.customerId,
    siteId: input.site.siteId,
    workflowId: Context.current().info.workflowExecution?.workflowId,
    windowStart: new Date(input.window.start).toISOString(),
    windowEnd: new Date(input.window.end).toISOString(),
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
