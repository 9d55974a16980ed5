import type { WorkflowHandle } from '@temporalio/client';
import type { RunResult } from '../workflows/sync-contract.js';
import { progressQuery, type syncRangeWorkflow } from '../workflows/sync-range-workflow.js';
import type { ProgressDisplay } from './progress-display.js';
import type { Print } from './print.js';

const POLL_MS = 2_000;

/**
 * Waits for a range workflow, showing its progress every poll and a final
 * summary; resolves with the totals or rejects with the workflow's failure.
 */
export async function watchProgress(handle: WorkflowHandle<typeof syncRangeWorkflow>, display: ProgressDisplay, print: Print, names: { site: string; recordNoun: string }): Promise<RunResult> {
  const started = Date.now();
  const outcome = handle.result().then(
    (totals) => ({ totals }),
    (error: unknown) => ({ error }),
  );
  try {
    for (;;) {
      const settled = await Promise.race([outcome, delay(POLL_MS)]);
      if (settled && 'error' in settled) throw settled.error;
      if (settled) {
        display.stop();
        print(summaryLine(settled.totals, Date.now() - started, names));
        return settled.totals;
      }
      const progress = await handle.query(progressQuery).catch(() => undefined);
      if (progress) display.update(progress);
    }
  } finally {
    display.stop();
  }
}

function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms));
}

/** The one-line summary operators and the demo print at the end of a run; records named as the source names them. */
export function summaryLine(totals: RunResult, elapsedMs: number, names: { site: string; recordNoun: string }): string {
  const { recordNoun } = names;
  return `done: ${names.site}: windows ${totals.windowsDone}, pages ${totals.pages}, ${recordNoun} ${totals.records}, requests ${totals.requests}, rejects ${totals.rejects}${totals.suppressed ? `, suppressed ${totals.suppressed}` : ''}, elapsed ${(elapsedMs / 1000).toFixed(1)}s`;
}
