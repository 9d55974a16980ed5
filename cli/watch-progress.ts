import type { WorkflowHandle } from '@temporalio/client';
import type { RunTotals } from '../workflows/sync-contract.js';
import { progressQuery, type SyncRangeProgress, type syncRangeWorkflow } from '../workflows/sync-range-workflow.js';

export type Print = (line: string) => void;

const POLL_MS = 2_000;

/**
 * Waits for a range workflow, printing its progress every poll and a final
 * summary; resolves with the totals or rejects with the workflow's failure.
 */
export async function watchProgress(handle: WorkflowHandle<typeof syncRangeWorkflow>, print: Print): Promise<RunTotals> {
  const started = Date.now();
  const outcome = handle.result().then(
    (totals) => ({ totals }),
    (error: unknown) => ({ error }),
  );
  let lastLine = '';
  for (;;) {
    const settled = await Promise.race([outcome, delay(POLL_MS)]);
    if (settled && 'error' in settled) throw settled.error;
    if (settled) {
      print(summaryLine(settled.totals, Date.now() - started));
      return settled.totals;
    }
    const progress = await handle.query(progressQuery).catch(() => undefined);
    const line = progress ? progressLine(progress) : lastLine;
    if (line !== lastLine) print(line);
    lastLine = line;
  }
}

function progressLine(progress: SyncRangeProgress): string {
  const window = progress.currentWindow ? new Date(progress.currentWindow.start).toISOString() : '-';
  return `progress: windows ${progress.windowsDone}/${progress.windowsTotal}, pages ${progress.pages}, sessions ${progress.sessions}, requests ${progress.requests}, current window ${window}`;
}

function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms));
}

/** The one-line summary operators and the demo print at the end of a run. */
export function summaryLine(totals: RunTotals, elapsedMs: number): string {
  return `done: windows ${totals.windowsDone}, pages ${totals.pages}, sessions ${totals.sessions}, requests ${totals.requests}, rejects ${totals.rejects}, elapsed ${(elapsedMs / 1000).toFixed(1)}s`;
}
