import { describe, expect, it } from 'vitest';
import { estimateProgress, windowFraction } from '../workflows/progress.js';
import type { RunTotals } from '../workflows/sync-contract.js';

const HOUR = 3_600_000;
const totals = (over: Partial<RunTotals>): RunTotals => ({ windowsDone: 0, pages: 0, requests: 0, sessions: 0, rejects: 0, ...over });

describe('progress of a range', () => {
  it('counts the covered part of a long window, from the latest session start its pages reached', () => {
    const window = { start: 10 * HOUR, end: 30 * HOUR };
    // The query reaches back 4 h: it spans [6 h, 30 h), and 18 h of it is 0.5.
    expect(windowFraction(window, 4 * HOUR, 18 * HOUR)).toBe(0.5);
    expect(windowFraction(window, 4 * HOUR, undefined)).toBe(0);
    expect(windowFraction(window, 4 * HOUR, 2 * HOUR)).toBe(0);
    // Never 1 before the window is done: its last page may still come.
    expect(windowFraction(window, 4 * HOUR, 31 * HOUR)).toBe(0.999);
  });

  it('estimates a one-window backfill half done at 50%, its ETA from the pages that half took', () => {
    const progress = estimateProgress({
      totals: totals({ pages: 300, requests: 300 }),
      windowsTotal: 1,
      currentWindow: { start: 0, end: 1 },
      currentWindowDone: 0.5,
      startedAt: 0,
      now: 15 * 60_000,
      ratePerMinute: 20,
      exportPercent: null,
    });
    expect(progress.percent).toBe(50);
    // 300 more pages at the budget's 3 s a request (slower than the 3 s observed).
    expect(progress.etaMs).toBe(300 * 3_000);
  });

  it('counts failed tries as requests a page costs, not as pages done', () => {
    // 100 pages took 150 requests (50 failed tries) in 10 minutes, at 20 requests a minute.
    const progress = estimateProgress({ totals: totals({ pages: 100, requests: 150 }), windowsTotal: 2, currentWindow: { start: 0, end: 1 }, currentWindowDone: 0, startedAt: 0, now: 10 * 60_000, ratePerMinute: 20, exportPercent: null });
    // Nothing covered yet, so one page a window; 6 s a page observed is slower than the budget's 1.5 requests at 3 s (4.5 s).
    expect(progress.etaMs).toBe(2 * 1 * 6_000);
    const budgetBound = estimateProgress({ totals: totals({ pages: 100, requests: 150 }), windowsTotal: 2, currentWindow: { start: 0, end: 1 }, currentWindowDone: 0, startedAt: 0, now: 60_000, ratePerMinute: 20, exportPercent: null });
    // Fast so far (0.6 s a page), so the budget bounds it: 1.5 requests a page at 3 s each.
    expect(budgetBound.etaMs).toBe(2 * 1 * 4_500);
  });

  it('counts whole windows as before when pages say nothing of their position', () => {
    const progress = estimateProgress({ totals: totals({ windowsDone: 3, pages: 6, requests: 6 }), windowsTotal: 4, currentWindow: null, currentWindowDone: 0, startedAt: 0, now: 60_000, ratePerMinute: 60, exportPercent: null });
    expect(progress.percent).toBe(75);
    expect(progress.etaMs).toBe(2 * 10_000);
  });
});
