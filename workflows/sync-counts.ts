import type { RunResult, RunTotals, SyncPageResult } from './sync-contract.js';

/** Totals of a run that has done nothing yet. */
export function emptyTotals(): RunTotals {
  return { windowsDone: 0, pages: 0, sessions: 0, requests: 0, rejects: 0, suppressed: 0 };
}

/** A run's totals as the workflow returns them. */
export function runResult(totals: RunTotals): RunResult {
  return { windowsDone: totals.windowsDone, pages: totals.pages, records: totals.sessions, requests: totals.requests, rejects: totals.rejects, suppressed: totals.suppressed ?? 0 };
}

/** A result of a run that had nothing to do. */
export function emptyResult(): RunResult {
  return runResult(emptyTotals());
}

/** A `syncPages` result as the run's totals count it. */
export function pageTotals(page: SyncPageResult): RunTotals {
  return { pages: page.pages, sessions: page.sessionsSynced, requests: page.requests, rejects: page.rejects, suppressed: page.suppressed ?? 0, windowsDone: page.windowDone ? 1 : 0 };
}

/**
 * Adds every count of `increment` into the same count of `into` (counts
 * `into` lacks are left out): the one adder for totals of any shape (pure,
 * so workflows use it too).
 *
 * @example addCounts({ pages: 1 }, { pages: 2 }) // { pages: 3 }
 */
export function addCounts<T extends object>(into: T, increment: { [K in keyof T]?: T[K] }): T {
  const target = into as Record<string, unknown>;
  for (const [key, value] of Object.entries(increment)) {
    if (typeof value === 'number' && typeof target[key] === 'number') target[key] = target[key] + value;
  }
  return into;
}
