import { ApplicationFailure } from '@temporalio/workflow';

/**
 * Failure types that retrying cannot fix and that will fail every run of
 * the site the same way: the operator must act (new key, wider token scope,
 * correct ids), so the site's schedule is paused. Mirrors FailureType in
 * activities/failures.ts. A credential missing on one worker is not here:
 * it fails that run only; the site and its schedule are fine.
 */
const PERMANENT_TYPES: ReadonlySet<string> = new Set([
  'FullSession.unauthorized',
  'FullSession.forbidden',
  'FullSession.not_found',
  'FullSession.bad_request',
]);

/** The permanent source failure under `error` (an activity or child workflow failure), if any. */
export function permanentFailureOf(error: unknown): ApplicationFailure | undefined {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (current instanceof ApplicationFailure && current.type && PERMANENT_TYPES.has(current.type)) return current;
  }
  return undefined;
}

/** The innermost cause's message: "Activity task failed" says less than the API error under it. */
export function rootMessage(error: Error): string {
  let current: Error = error;
  while (current.cause instanceof Error) current = current.cause;
  return current.message;
}
