import {
  ApplicationFailure,
  CancellationScope,
  continueAsNew,
  defineQuery,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/create-activities.js';
import type { RunKind, RunTotals, SiteRef, SyncPageResult, SyncWindow } from './sync-contract.js';
import { countWindows, windowAt } from './windows.js';

export interface SyncRangeInput {
  site: SiteRef;
  /** Sessions that ENDED in [from, to), Unix ms. */
  from: number;
  to: number;
  windowMs: number;
  /** Longest session we expect: how far each window's query reaches back. */
  lookbackMs: number;
  /** Re-fetch windows that are already complete. */
  force: boolean;
  kind: RunKind;
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
  totals: RunTotals;
}

export interface SyncRangeProgress extends RunTotals {
  windowsTotal: number;
  currentWindow: SyncWindow | null;
}

export const progressQuery = defineQuery<SyncRangeProgress>('progress');

const DEFAULT_PAGES_PER_RUN = 400;

const { syncPage } = proxyActivities<Activities>({
  startToCloseTimeout: '15m',
  heartbeatTimeout: '20s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 10 },
});

const runLog = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 20 },
});

/**
 * Syncs every session of one site that ended in [from, to): window by window,
 * page by page, each page committed with its cursor by the `syncPage`
 * activity. The workflow holds only ids, windows and counters; the durable
 * cursor is in Postgres, so any retry or new run resumes where the last one
 * stopped. Continues as new every `pagesPerRun` pages.
 */
export async function syncRangeWorkflow(input: SyncRangeInput): Promise<RunTotals> {
  validate(input);
  const windowsTotal = countWindows(input.from, input.to, input.windowMs);
  const state = input.resume ?? (await beginRun(input, windowsTotal));
  let currentWindow: SyncWindow | null = null;
  setHandler(progressQuery, () => ({ ...state.totals, windowsTotal, currentWindow }));

  let pagesThisRun = 0;
  const pagesPerRun = input.pagesPerRun ?? DEFAULT_PAGES_PER_RUN;
  try {
    while (state.windowIndex < windowsTotal) {
      const window = windowAt(input.from, input.to, input.windowMs, state.windowIndex);
      currentWindow = window;
      if (input.force && !state.windowReset) {
        await runLog.resetWindow({ site: input.site, window, lookbackMs: input.lookbackMs });
        state.windowReset = true;
      }
      const page = await syncPage({ runId: state.runId, site: input.site, window, lookbackMs: input.lookbackMs });
      addPage(state.totals, page);
      pagesThisRun += page.pages;
      if (page.windowDone) {
        state.windowIndex += 1;
        state.windowReset = false;
        state.totals.windowsDone += 1;
      }
      if (state.windowIndex < windowsTotal && (pagesThisRun >= pagesPerRun || workflowInfo().continueAsNewSuggested)) break;
    }
  } catch (error) {
    await recordEnd(state.runId, error);
    throw error;
  }
  if (state.windowIndex < windowsTotal) {
    return continueAsNew<typeof syncRangeWorkflow>({ ...input, resume: state });
  }
  await runLog.finishRun({ runId: state.runId, status: 'succeeded', error: null });
  return state.totals;
}

function validate(input: SyncRangeInput): void {
  const problems: string[] = [];
  if (!(input.to > input.from)) problems.push('range end must be after range start');
  if (!(input.windowMs > 0)) problems.push('window must be positive');
  if (!(input.lookbackMs >= 0)) problems.push('lookback must not be negative');
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
  });
  return { runId, windowIndex: 0, windowReset: false, totals: { windowsDone: 0, pages: 0, sessions: 0, requests: 0, rejects: 0 } };
}

function addPage(totals: RunTotals, page: SyncPageResult): void {
  totals.pages += page.pages;
  totals.sessions += page.sessionsSynced;
  totals.requests += page.requests;
  totals.rejects += page.rejects;
}

/** Records a failed or cancelled run; runs even when the workflow is being cancelled. */
async function recordEnd(runId: string, error: unknown): Promise<void> {
  const cancelled = isCancellation(error);
  const message = error instanceof Error ? rootMessage(error) : String(error);
  await CancellationScope.nonCancellable(() =>
    runLog.finishRun({ runId, status: cancelled ? 'cancelled' : 'failed', error: cancelled ? null : message }),
  );
}

/** The innermost cause's message: "Activity task failed" says less than the API error under it. */
function rootMessage(error: Error): string {
  let current: Error = error;
  while (current.cause instanceof Error) current = current.cause;
  return current.message;
}
