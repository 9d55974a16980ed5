import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import { loadCheckpoint, type CheckpointKey } from '../db/checkpoints-repository.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logging/logger.js';
import type { SyncMetrics } from '../metrics/sync-metrics.js';
import { SourceError } from '../sources/source-error.js';
import type { SyncPageInput, SyncPageResult } from '../workflows/sync-contract.js';
import { addCounts } from '../workflows/sync-counts.js';
import { windowQuery } from '../workflows/windows.js';
import { commitPage, preparePage } from './commit-page.js';
import { toActivityFailure } from './failures.js';
import { fetchPageWithinBudget } from './fetch-page-within-budget.js';
import type { FullSessionSources } from '../sources/fullsession/fullsession-sources.js';
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
        const page = await syncNextPage(deps, input);
        addCounts(chunk, page);
        chunk.windowDone = page.windowDone;
      } while (!chunk.windowDone && chunk.pages < (input.maxPages ?? 1) && Date.now() < deadline && !deps.draining());
      return chunk;
    } catch (error) {
      // Transient: report the pages done; the next chunk retries the failing one. Permanent: fail now.
      if (chunk.pages > 0 && !stopsTheWindow(error)) return chunk;
      const { attempt } = Context.current().info;
      if (error instanceof SourceError && error.kind === 'bad_data') {
        pageLogger(deps.log, input).error({ attempt, bodyExcerpt: error.details.bodyExcerpt }, 'malformed page; nothing of it was written');
      }
      throw toActivityFailure(error, attempt);
    } finally {
      stopHeartbeat();
    }
  };
}

/** Failures that no retry of the page can fix: a permanent API answer, or paging that would loop. */
function stopsTheWindow(error: unknown): boolean {
  if (error instanceof SourceError) return error.permanent;
  return error instanceof ApplicationFailure && error.nonRetryable === true;
}

function emptyResult(): SyncPageResult {
  return { windowDone: false, requests: 0, pages: 0, sessionsSynced: 0, sessionsWritten: 0, sessionsReceived: 0, rejects: 0 };
}

async function syncNextPage(deps: SyncPageDeps, input: SyncPageInput): Promise<SyncPageResult> {
  const { site, window, lookbackMs } = input;
  const key: CheckpointKey = { customerId: site.customerId, siteId: site.siteId, windowStart: window.start, windowEnd: window.end, lookbackMs };
  const checkpoint = await loadCheckpoint(deps.db, key);
  if (checkpoint.status === 'done') return WINDOW_ALREADY_DONE;

  const timer = phaseTimer(deps.metrics);
  const { page, requests } = await fetchPageWithinBudget(deps.sources.forSite(site), {
    customerId: site.customerId,
    siteId: site.siteId,
    ...windowQuery(window, lookbackMs),
    cursor: checkpoint.cursor ?? undefined,
  });
  timer.lap('fetch');
  const prepared = preparePage(key, window, checkpoint, page);
  timer.lap('prepare');
  const written = await commitPage(deps.db, prepared, { runId: input.runId, requests });
  timer.lap('write');
  const { done, rejects } = prepared;
  const owned = prepared.owned.length;

  const labels = { account: site.customerId, site: site.siteId };
  deps.metrics.pages.inc(labels);
  deps.metrics.sessionsSynced.inc(labels, owned);
  deps.metrics.sessionsUpserted.inc(labels, written);
  deps.metrics.rejects.inc(labels, rejects.length);
  const result = { windowDone: done, requests, pages: 1, sessionsSynced: owned, sessionsWritten: written, sessionsReceived: page.sessions.length, rejects: rejects.length };
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
