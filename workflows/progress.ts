import type { RunTotals, SyncWindow } from './sync-contract.js';

export interface SyncRangeProgress extends RunTotals {
  windowsTotal: number;
  currentWindow: SyncWindow | null;
  percent: number;
  /** Estimated time to finish (ms), or null before there is anything to estimate from. */
  etaMs: number | null;
  /** How far the current window's export job has come (0–100, the vendor's estimate); null when none is running. */
  exportPercent: number | null;
}

export interface ProgressInput {
  totals: RunTotals;
  windowsTotal: number;
  currentWindow: SyncWindow | null;
  /** How much of the current window paging has covered, 0 to below 1 (windowFraction). */
  currentWindowDone: number;
  startedAt: number;
  now: number;
  ratePerMinute: number | undefined;
  exportPercent: number | null;
}

/**
 * Progress with an ETA, in windows done plus the covered part of the
 * current one (a backfill may be a single long window): what remains times
 * the pages a window's worth has taken so far, each page at the slower of
 * its requests under the rate budget (at least one; failed tries count)
 * and the time a page has taken in this run.
 * Pure: the workflow's query handler calls it.
 */
export function estimateProgress(input: ProgressInput): SyncRangeProgress {
  const { totals, windowsTotal } = input;
  const windowsCovered = Math.min(windowsTotal, totals.windowsDone + input.currentWindowDone);
  const percent = windowsTotal === 0 ? 100 : Math.floor((windowsCovered / windowsTotal) * 1000) / 10;
  const remainingWindows = windowsTotal - windowsCovered;
  const pagesPerWindow = windowsCovered > 0 ? Math.max(1, totals.pages / windowsCovered) : 1;
  const requestsPerPage = totals.pages > 0 ? Math.max(1, totals.requests / totals.pages) : 1;
  const budgetMsPerPage = input.ratePerMinute ? (60_000 / input.ratePerMinute) * requestsPerPage : 0;
  const observedMsPerPage = totals.pages > 0 ? (input.now - input.startedAt) / totals.pages : 0;
  const msPerPage = Math.max(budgetMsPerPage, observedMsPerPage);
  const etaMs = remainingWindows === 0 ? 0 : msPerPage > 0 ? Math.round(remainingWindows * pagesPerWindow * msPerPage) : null;
  return { ...totals, windowsTotal, currentWindow: input.currentWindow, percent, etaMs, exportPercent: input.exportPercent };
}

/**
 * How much of a window paging has covered, from the latest record start it
 * reached: its query runs from `window.start - lookbackMs` to `window.end`,
 * in start-time order. Below 1 until the window is done; 0 before any page.
 *
 * @example windowFraction({ start: 100, end: 200 }, 0, 150) // 0.5
 */
export function windowFraction(window: SyncWindow, lookbackMs: number, reachedMs: number | undefined): number {
  if (reachedMs === undefined) return 0;
  const queryStart = window.start - lookbackMs;
  return Math.min(0.999, Math.max(0, (reachedMs - queryStart) / (window.end - queryStart)));
}
