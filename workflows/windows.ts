import type { SyncWindow } from './sync-contract.js';

/**
 * Window arithmetic. Windows partition a range by session END time, aligned
 * to multiples of the window size from an origin: the Unix epoch (UTC) for
 * scheduled runs, so that they share checkpoints, and a backfill's own start
 * for backfills, so that a range no longer than the window is one window. Each window's query reaches back `lookbackMs` (the
 * longest session we expect) on start time:
 *
 *   query(window) = startTime >= window.start - lookback AND endTime <= window.end - 1
 *
 * Every session that ended in the window and lasted at most `lookbackMs`
 * started at or after window.start - lookback, so exactly one window returns
 * it as "its own". Sessions in progress are invisible to the API; they end in
 * a later window and are fetched then. Pure and deterministic: workflows use it.
 */

/**
 * The most windows one range may have: a year of 6-minute windows. Beyond
 * it a range is an operator's typo (`--window 1ms`), not a plan; it would
 * also make the workflow's history and checkpoint table grow for nothing.
 */
export const MAX_WINDOWS_PER_RANGE = 100_000;

/** How many windows cover [from, to), windows counted from `originMs` (default: the Unix epoch, UTC). */
export function countWindows(from: number, to: number, windowMs: number, originMs = 0): number {
  if (to <= from) return 0;
  return Math.floor((to - 1 - originMs) / windowMs) - Math.floor((from - originMs) / windowMs) + 1;
}

/**
 * The index-th window of [from, to); the first and last may be partial.
 *
 * @example windowAt(0, 10, 4, 1) // { start: 4, end: 8 }
 */
export function windowAt(from: number, to: number, windowMs: number, index: number, originMs = 0): SyncWindow {
  const alignedStart = originMs + Math.floor((from - originMs) / windowMs) * windowMs + index * windowMs;
  return { start: Math.max(from, alignedStart), end: Math.min(to, alignedStart + windowMs) };
}

/** The API query (both bounds inclusive) that returns every session of the window. */
export function windowQuery(window: SyncWindow, lookbackMs: number): { startTime: number; endTime: number } {
  return { startTime: window.start - lookbackMs, endTime: window.end - 1 };
}

/** Whether a session with this end time belongs to the window (the query also returns earlier ones). */
export function ownsSession(window: SyncWindow, endTime: number): boolean {
  return endTime >= window.start && endTime < window.end;
}
