import { addCounts } from '../workflows/sync-counts.js';
import type { SyncPageResult } from '../workflows/sync-contract.js';

/** A chunk before its first page: nothing counted yet. */
export function emptyChunk(): SyncPageResult {
  return { windowDone: false, requests: 0, pages: 0, sessionsSynced: 0, sessionsWritten: 0, sessionsReceived: 0, rejects: 0, suppressed: 0 };
}

/**
 * Adds one page's result into its chunk's: the counts summed; the window's
 * state (done, an export's wait and percent) as the last page says; the
 * latest record start the greatest of the pages'. Not addCounts alone,
 * which sums every number both hold: a chunk's record starts were summed,
 * and a backfill's progress read 99.9% after 4 of its 12 pages (the demo).
 *
 * @example addPageToChunk(chunk, page) // chunk.pages + 1, chunk.reachedMs the later of the two
 */
export function addPageToChunk(chunk: SyncPageResult, page: SyncPageResult): void {
  const { windowDone, waitMs, jobPercent, reachedMs, ...counts } = page;
  addCounts(chunk, counts);
  chunk.windowDone = windowDone;
  if (waitMs !== undefined) chunk.waitMs = waitMs;
  if (jobPercent !== undefined) chunk.jobPercent = jobPercent;
  if (reachedMs !== undefined) chunk.reachedMs = Math.max(chunk.reachedMs ?? -Infinity, reachedMs);
}
