import { ApplicationFailure } from '@temporalio/workflow';
import { PAUSES_THE_SCHEDULE } from './failure-types.js';

/** The permanent source failure under `error` (an activity or child workflow failure), if any. */
export function permanentFailureOf(error: unknown): ApplicationFailure | undefined {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (current instanceof ApplicationFailure && current.type && PAUSES_THE_SCHEDULE.has(current.type)) return current;
  }
  return undefined;
}

/** The innermost cause's message: "Activity task failed" says less than the API error under it. */
export function rootMessage(error: Error): string {
  let current: Error = error;
  while (current.cause instanceof Error) current = current.cause;
  return current.message;
}
