import { SourceError } from '../source-error.js';
import type { ExportOperation } from './fullstory-client.js';

/**
 * Where a window's export stands, as its checkpoint keeps it (undefined:
 * not started). An asynchronous export is a small state machine with named
 * steps, each one API request and one durable unit:
 *
 *   (start) ─create─> poll ─PENDING─> poll (after a workflow timer) ─COMPLETED─> load ─> done
 *                       └─FAILED, or pending past MAX_POLLS_PER_EXPORT─> create again (at most MAX_EXPORT_ATTEMPTS)
 *
 * A crash at any step resumes at that step: the export is not created again
 * while its results are valid, and only the file in flight is downloaded again.
 */
export type ExportCursor =
  | { step: 'create'; attempt: number }
  | { step: 'poll'; operationId: string; polls: number; attempt: number }
  | { step: 'load'; searchExportId: string; attempt: number };

export type ExportStep =
  /** Go on at once with the next unit. */
  | { kind: 'next'; cursor: ExportCursor }
  /** The export is running (`percent` done, FullStory's estimate): wait (a workflow timer), then poll again. */
  | { kind: 'wait'; cursor: ExportCursor; percent: number }
  /** The file is ready at `location`: load it; the window is then complete. */
  | { kind: 'load'; location: string };

/** Exports of one window created at most this often before the window fails with FullStory's reason. */
export const MAX_EXPORT_ATTEMPTS = 3;

/** Polls after which a still-pending export counts as failed and is created again (about 2.8 hours at the default 5 s). */
export const MAX_POLLS_PER_EXPORT = 2_000;

export interface ExportApi {
  createExport(): Promise<string>;
  poll(operationId: string): Promise<ExportOperation>;
  locate(searchExportId: string): Promise<string>;
}

/** Takes the window's next export step from its cursor, with one API request. */
export async function nextExportStep(cursor: ExportCursor | undefined, api: ExportApi): Promise<ExportStep> {
  const step = cursor ?? { step: 'create', attempt: 1 };
  if (step.step === 'create') return { kind: 'wait', cursor: { step: 'poll', operationId: await api.createExport(), polls: 0, attempt: step.attempt }, percent: 0 };
  if (step.step === 'poll') return afterPoll(step, await api.poll(step.operationId));
  try {
    return { kind: 'load', location: await api.locate(step.searchExportId) };
  } catch (error) {
    // The export's results have expired (FullStory keeps them a limited time): export again.
    if (error instanceof SourceError && error.details.status === 404) return again(step.attempt, 'its results expired');
    throw error;
  }
}

function afterPoll(step: Extract<ExportCursor, { step: 'poll' }>, operation: ExportOperation): ExportStep {
  if (operation.state === 'PENDING' && step.polls + 1 >= MAX_POLLS_PER_EXPORT) return again(step.attempt, `still pending after ${MAX_POLLS_PER_EXPORT} polls`);
  if (operation.state === 'PENDING') return { kind: 'wait', cursor: { ...step, polls: step.polls + 1 }, percent: operation.estimatePctComplete };
  if (operation.state === 'FAILED') return again(step.attempt, operation.errorDetails ?? 'no details given');
  return { kind: 'next', cursor: { step: 'load', searchExportId: operation.searchExportId as string, attempt: step.attempt } };
}

function again(attempt: number, why: string): ExportStep {
  if (attempt >= MAX_EXPORT_ATTEMPTS) {
    throw new SourceError('window_failed', `FullStory's export of this window failed ${attempt} times; the last: ${why}. The next run of the window exports it again`, { reason: 'export_failed' });
  }
  return { kind: 'next', cursor: { step: 'create', attempt: attempt + 1 } };
}
