import { ApplicationFailure } from '@temporalio/workflow';

/**
 * Failure types that retrying cannot fix: the operator must act (new key,
 * wider token scope, correct ids). Mirrors FailureType in activities/failures.ts.
 */
const PERMANENT_TYPES: ReadonlySet<string> = new Set([
  'FullSession.unauthorized',
  'FullSession.forbidden',
  'FullSession.not_found',
  'FullSession.bad_request',
  'CredentialMissing',
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
