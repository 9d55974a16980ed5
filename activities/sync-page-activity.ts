import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import { loadCheckpoint, type CheckpointKey } from '../db/checkpoints-repository.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logging/logger.js';
import type { SyncMetrics } from '../metrics/sync-metrics.js';
import { SourceError } from '../sources/source-error.js';
import type { SyncPageInput, SyncPageResult } from '../workflows/sync-contract.js';
import { streamKeyOf } from '../workflows/stream-key.js';
import { addPageToChunk, emptyChunk } from './page-chunk.js';
import type { SourceRegistry } from '../sources/source-registry.js';
import { addToRun } from '../db/runs-repository.js';
import { commitUnit } from './commit-unit.js';
import { toActivityFailure } from './failures.js';
import { keepHeartbeating } from './heartbeat.js';
import { RequestTally } from './request-tally.js';
import { retryUnit, type UnitRetryOptions } from './unit-retry.js';

export interface SyncPageDeps {
  db: Kysely<Database>;
  sources: SourceRegistry;
  metrics: SyncMetrics;
  log: Logger;
  /** True once the worker is shutting down: finish the page in flight, start no other. */
  draining: () => boolean;
}

const WINDOW_ALREADY_DONE: SyncPageResult = { windowDone: true, requests: 0, pages: 0, sessionsSynced: 0, sessionsWritten: 0, sessionsReceived: 0, rejects: 0 };

/** A chunk ends after this many pages or this long, whichever comes first, keeping progress fresh and shutdown quick. */
const MAX_CHUNK_MS = 5_000;

/**
 * Syncs the next units (pages) of one window from its source, up to
 * `maxPages`: for each, reads the window's cursor from Postgres, fetches the
 * unit, and commits its records and the cursor after it in ONE transaction. The
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
    const chunk = emptyChunk();
    const deadline = Date.now() + MAX_CHUNK_MS;
    const tally = new RequestTally();
    try {
      do {
        const page = await retryUnit(() => syncNextPage(deps, input, tally), unitRetryOptions(deps, input));
        addPageToChunk(chunk, page);
        // An export still running (waitMs) hands back, so the workflow waits on a durable timer.
      } while (!chunk.windowDone && chunk.waitMs === undefined && chunk.pages < (input.maxPages ?? 1) && Date.now() < deadline && !deps.draining());
      return chunk;
    } catch (error) {
      // Transient: report the pages done; the next chunk retries the failing one. Permanent: fail now.
      if (chunk.pages > 0 && !stopsTheWindow(error)) {
        pageLogger(deps.log, input).warn({ err: error, pagesCommitted: chunk.pages }, 'page failed after others of its chunk committed; the next chunk retries it');
        return chunk;
      }
      throw toActivityFailure(error);
    } finally {
      stopHeartbeat();
      await addUncommittedRequests(deps, input, tally);
    }
  };
}

/** The requests of tries no committed unit took along: added to the run on their own, so its total is every request made. */
async function addUncommittedRequests(deps: SyncPageDeps, input: SyncPageInput, tally: RequestTally): Promise<void> {
  const requests = tally.pending;
  if (requests === 0) return;
  try {
    await addToRun(deps.db, input.runId, { pages: 0, sessions: 0, requests, rejects: 0, windowsDone: 0 });
    tally.settled(requests);
  } catch (error) {
    // Postgres is away (the failure being reported may be just that): the count is lost, the failure is what matters.
    pageLogger(deps.log, input).warn({ err: error, requests }, 'could not add the requests of failed tries to the run');
  }
}

/** Retries within the activity wait on Temporal's cancellation-aware sleep and say why in the log. */
function unitRetryOptions(deps: SyncPageDeps, input: SyncPageInput): UnitRetryOptions {
  return {
    sleep: (ms) => Context.current().sleep(ms),
    random: Math.random,
    onRetry(error, tryNumber, delayMs) {
      const fields = { reason: error.details.reason, status: error.details.status, tryNumber, delayMs, bodyExcerpt: error.details.bodyExcerpt };
      pageLogger(deps.log, input).warn(fields, error.kind === 'bad_data' ? `malformed page, nothing of it written; trying again: ${error.message}` : `trying the page again: ${error.message}`);
    },
  };
}

/** Failures that no retry of the page can fix: a permanent API answer, or paging that would loop. */
function stopsTheWindow(error: unknown): boolean {
  if (error instanceof SourceError) return error.permanent;
  return error instanceof ApplicationFailure && error.nonRetryable === true;
}

async function syncNextPage(deps: SyncPageDeps, input: SyncPageInput, tally: RequestTally): Promise<SyncPageResult> {
  const { site, window, lookbackMs } = input;
  const key: CheckpointKey = { ...streamKeyOf(site), windowStart: window.start, windowEnd: window.end, lookbackMs };
  const checkpoint = await loadCheckpoint(deps.db, key);
  if (checkpoint.status === 'done') return WINDOW_ALREADY_DONE;

  const timer = phaseTimer(deps.metrics);
  const unit = await deps.sources.forSite(site).fetchUnit({ site, window, lookbackMs, cursor: checkpoint.cursor ?? undefined, signal: Context.current().cancellationSignal, onApiRequest: tally.count });
  timer.lap('fetch');
  const requests = tally.pending;
  const { done, synced, written, rejectReasons, suppressed, phaseMs } = await commitUnit(deps.db, key, checkpoint, unit, { runId: input.runId, requests });
  tally.settled(requests);
  timer.lap('write');

  const labels = { source: key.source, account: site.customerId, site: site.siteId };
  deps.metrics.pages.inc(labels);
  deps.metrics.sessionsSynced.inc(labels, synced);
  deps.metrics.sessionsUpserted.inc(labels, written);
  deps.metrics.rejects.inc(labels, rejectReasons.length);
  if (suppressed) deps.metrics.suppressed.inc(labels, suppressed);
  const result: SyncPageResult = { windowDone: done, requests, pages: 1, sessionsSynced: synced, sessionsWritten: written, sessionsReceived: unit.received, rejects: rejectReasons.length };
  if (suppressed) result.suppressed = suppressed;
  if (unit.waitMs !== undefined) result.waitMs = unit.waitMs;
  if (unit.jobPercent !== undefined) result.jobPercent = unit.jobPercent;
  if (unit.reachedMs !== undefined) result.reachedMs = unit.reachedMs;
  const log = pageLogger(deps.log, input);
  log.debug(result, 'page synced');
  // A unit that loads a whole file: where its time went, for whoever finds a window slow.
  if (phaseMs) log.info({ ...result, phaseMs }, 'export file loaded');
  if (rejectReasons.length > 0) log.warn({ rejects: rejectReasons }, 'sessions rejected');
  if (suppressed) log.info({ suppressed }, 'records of erased people dropped');
  return result;
}

/** Measures consecutive phases of one page into the phase histogram. */
function phaseTimer(metrics: SyncMetrics) {
  let last = performance.now();
  return {
    lap(phase: 'fetch' | 'write') {
      const now = performance.now();
      metrics.pagePhaseSeconds.observe({ phase }, (now - last) / 1000);
      last = now;
    },
  };
}

/** Every line about a page carries its site, workflow and window. */
function pageLogger(log: Logger, input: SyncPageInput): Logger {
  return log.child({
    source: streamKeyOf(input.site).source,
    customerId: input.site.customerId,
    siteId: input.site.siteId,
    workflowId: Context.current().info.workflowExecution?.workflowId,
    windowStart: new Date(input.window.start).toISOString(),
    windowEnd: new Date(input.window.end).toISOString(),
  });
}
