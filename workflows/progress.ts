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
  startedAt: number;
  now: number;
  ratePerMinute: number | undefined;
  exportPercent: number | null;
}

/**
 * Progress with an ETA: remaining windows times the pages a window has taken
 * so far (at least one request each), at the slower of the rate budget and
 * the rate observed in this run. Pure: the workflow's query handler calls it.
 */
export function estimateProgress(input: ProgressInput): SyncRangeProgress {
  const { totals, windowsTotal } = input;
  const percent = windowsTotal === 0 ? 100 : Math.floor((totals.windowsDone / windowsTotal) * 1000) / 10;
  const remainingWindows = windowsTotal - totals.windowsDone;
  const pagesPerWindow = totals.windowsDone > 0 ? Math.max(1, totals.pages / totals.windowsDone) : 1;
  const budgetMsPerRequest = input.ratePerMinute ? 60_000 / input.ratePerMinute : 0;
  const observedMsPerRequest = totals.requests > 0 ? (input.now - input.startedAt) / totals.requests : 0;
  const msPerRequest = Math.max(budgetMsPerRequest, observedMsPerRequest);
  const etaMs = remainingWindows === 0 ? 0 : msPerRequest > 0 ? Math.round(remainingWindows * pagesPerWindow * msPerRequest) : null;
  return { ...totals, windowsTotal, currentWindow: input.currentWindow, percent, etaMs, exportPercent: input.exportPercent };
}
