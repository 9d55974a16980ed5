import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  continueAsNew,
  defineQuery,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/create-activities.js';
import { permanentFailureOf, rootMessage } from './permanent-failure.js';
import { estimateProgress, windowFraction, type SyncRangeProgress } from './progress.js';
import type { RunKind, RunResult, RunTotals, SiteRef, SyncWindow } from './sync-contract.js';
import { addCounts, emptyTotals, pageTotals, runResult } from './sync-counts.js';
import { countWindows, MAX_WINDOWS_PER_RANGE, windowAt } from './windows.js';

export interface SyncRangeInput {
  site: SiteRef;
  /** Sessions that ENDED in [from, to), Unix ms. */
  from: number;
  to: number;
  windowMs: number;
  /** Where windows are counted from (Unix ms); absent: the Unix epoch, as runs started before it existed. */
  windowOriginMs?: number;
  /** Longest session we expect: how far each window's query reaches back. */
  lookbackMs: number;
  /** Re-fetch windows that are already complete. */
  force: boolean;
  /** Re-fetch the complete windows that end at or before this instant (a scheduled run's trailing refresh). */
  forceUntil?: number;
  kind: RunKind;
  /** The account's request budget, for the progress ETA. */
  ratePerMinute?: number;
  /**
   * How long a page may go without a heartbeat before Temporal retries it
   * elsewhere: the time a killed worker's page waits. Default 20 s.
   */
  heartbeatTimeoutMs?: number;
  /** Pages per workflow run before continuing as new, which keeps history bounded. */
  pagesPerRun?: number;
  /** Carried across continue-as-new; absent on the first run. */
  resume?: SyncRangeState;
}

export interface SyncRangeState {
  runId: string;
  windowIndex: number;
  /** Whether the current window was already reset for `force`. */
  windowReset: boolean;
  /** The latest record start the current window's pages reached (SyncPageResult.reachedMs); absent before its first page. */
  windowReachedMs?: number;
  totals: RunTotals;
  /** Workflow time the run chain started, for the observed request rate. */
  startedAt: number;
}

export type { SyncRangeProgress } from './progress.js';

export const progressQuery = defineQuery<SyncRangeProgress>('progress');

const DEFAULT_PAGES_PER_RUN = 400;
const DEFAULT_HEARTBEAT_TIMEOUT_MS = 20_000;

/** Pages one activity may commit before handing back (it also stops after 5 s). */
const PAGES_PER_ACTIVITY = 10;

/** The page activity: transient failures retried with backoff (1 s doubling to 1 min), 10 attempts. */
function pageActivity(heartbeatTimeoutMs: number) {
  return proxyActivities<Activities>({
    startToCloseTimeout: '15m',
    heartbeatTimeout: heartbeatTimeoutMs,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 10 },
  }).syncPages;
}

const runLog = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 20 },
});

/**
 * Syncs every session of one site that ended in [from, to): window by window,
 * page by page, each page committed with its cursor by the `syncPages`
 * activity (several pages per call). The workflow holds only ids, windows
 * and counters; the durable cursor is in Postgres, so any retry or new run resumes where the last one
 * stopped. Continues as new every `pagesPerRun` pages.
 *
 * Cancellation takes effect between pages: the activity in flight finishes
 * its current chunk (at most 10 pages or 5 s) and commits, so the checkpoint
 * is intact and starting again resumes. A permanent source failure (revoked key, site out of scope) pauses the
 * site's schedule with the reason, so it does not fail again every run.
 */
export async function syncRangeWorkflow(input: SyncRangeInput): Promise<RunResult> {
  validate(input);
  const windowsTotal = countWindows(input.from, input.to, input.windowMs, input.windowOriginMs);
  const state = input.resume ?? (await beginRun(input, windowsTotal));
  let currentWindow: SyncWindow | null = null;
  let exportPercent: number | null = null;
  setHandler(progressQuery, () => {
    const currentWindowDone = currentWindow ? windowFraction(currentWindow, input.lookbackMs, state.windowReachedMs) : 0;
    // The clock, not Date.now(): in a workflow that is the last workflow task's time, frozen while an
    // activity pages or waits, so the ETA would not grow when nothing lands. A query writes no history.
    return estimateProgress({ totals: state.totals, windowsTotal, currentWindow, currentWindowDone, startedAt: state.startedAt, now: workflowInfo().unsafe.now(), ratePerMinute: input.ratePerMinute, exportPercent });
  });

  const syncPages = pageActivity(input.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS);
  let pagesThisRun = 0;
  const pagesPerRun = input.pagesPerRun ?? DEFAULT_PAGES_PER_RUN;
  try {
    while (state.windowIndex < windowsTotal) {
      throwIfCancelRequested();
      const window = windowAt(input.from, input.to, input.windowMs, state.windowIndex, input.windowOriginMs);
      currentWindow = window;
      if ((input.force || (input.forceUntil !== undefined && window.end <= input.forceUntil)) && !state.windowReset) {
        await CancellationScope.nonCancellable(() => runLog.resetWindow({ site: input.site, window, lookbackMs: input.lookbackMs }));
        state.windowReset = true;
      }
      const page = await CancellationScope.nonCancellable(() =>
        syncPages({ runId: state.runId, site: input.site, window, lookbackMs: input.lookbackMs, maxPages: PAGES_PER_ACTIVITY }),
      );
      addCounts(state.totals, pageTotals(page));
      pagesThisRun += page.pages;
      exportPercent = page.waitMs !== undefined ? (page.jobPercent ?? null) : null;
      if (page.reachedMs !== undefined) state.windowReachedMs = Math.max(state.windowReachedMs ?? -Infinity, page.reachedMs);
      // An export source's job is still running: wait durably, not in an activity.
      if (page.waitMs !== undefined) await sleep(page.waitMs);
      if (page.windowDone) {
        state.windowIndex += 1;
        state.windowReset = false;
        delete state.windowReachedMs;
        log.info('window synced', { siteId: input.site.siteId, windowStart: new Date(window.start).toISOString(), windowsDone: state.totals.windowsDone, windowsTotal });
      }
      if (state.windowIndex < windowsTotal && (pagesThisRun >= pagesPerRun || workflowInfo().continueAsNewSuggested)) break;
    }
  } catch (error) {
    await recordEnd(state.runId, error);
    await pauseScheduleIfPermanent(input.site, error);
    throw error;
  }
  if (state.windowIndex < windowsTotal) {
    return continueAsNew<typeof syncRangeWorkflow>({ ...input, resume: state });
  }
  // The totals the pages committed, from Postgres: the workflow's own counts
  // miss pages a killed worker committed but could not report.
  const recorded = await runLog.finishRun({ runId: state.runId, status: 'succeeded', error: null });
  return runResult({ ...state.totals, ...recorded });
}

function validate(input: SyncRangeInput): void {
  const problems: string[] = [];
  if (!(input.to > input.from)) problems.push('range end must be after range start');
  if (!(input.windowMs > 0)) problems.push('window must be positive');
  if (!(input.lookbackMs >= 0)) problems.push('lookback must not be negative');
  if (problems.length === 0 && countWindows(input.from, input.to, input.windowMs, input.windowOriginMs) > MAX_WINDOWS_PER_RANGE) {
    problems.push(`more than ${MAX_WINDOWS_PER_RANGE} windows; use a larger window or a shorter range`);
  }
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(`invalid sync range: ${problems.join('; ')}`, 'InvalidInput');
}

async function beginRun(input: SyncRangeInput, windowsTotal: number): Promise<SyncRangeState> {
  const info = workflowInfo();
  const runId = await runLog.startRun({
    workflowId: info.workflowId,
    firstRunId: info.firstExecutionRunId,
    kind: input.kind,
    site: input.site,
    window: { start: input.from, end: input.to },
    windowsTotal,
    ...(info.executionExpirationTime ? { deadline: info.executionExpirationTime.getTime() } : {}),
  });
  return { runId, windowIndex: 0, windowReset: false, startedAt: Date.now(), totals: emptyTotals() };
}

/** Pages run in non-cancellable scopes; this is where a cancel request is honoured, between pages. */
function throwIfCancelRequested(): void {
  if (CancellationScope.current().consideredCancelled) throw new CancelledFailure('sync cancelled between pages; the checkpoint is intact');
}

async function pauseScheduleIfPermanent(site: SiteRef, error: unknown): Promise<void> {
  const permanent = permanentFailureOf(error);
  if (!permanent) return;
  await CancellationScope.nonCancellable(() => runLog.pauseSiteSchedule({ site, reason: permanent.message }));
}

/** Records a failed or cancelled run; runs even when the workflow is being cancelled. */
async function recordEnd(runId: string, error: unknown): Promise<void> {
  const cancelled = isCancellation(error);
  const message = error instanceof Error ? rootMessage(error) : String(error);
  await CancellationScope.nonCancellable(() =>
    runLog.finishRun({ runId, status: cancelled ? 'cancelled' : 'failed', error: cancelled ? null : message }),
  );
}
