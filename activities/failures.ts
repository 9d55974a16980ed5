import { ApplicationFailure } from '@temporalio/activity';
import { FullSessionError } from '../sources/fullsession/fullsession-error.js';

/** Failure types workflows and operators see; permanent ones are never retried. */
export const FailureType = {
  credentialMissing: 'CredentialMissing',
  checkpointMoved: 'CheckpointMoved',
  repeatedCursor: 'FullSession.repeated_cursor',
  fullSession: (kind: string) => `FullSession.${kind}`,
} as const;

/**
 * Converts an error from the source into the Temporal failure that carries
 * the retry decision: permanent FullSession errors become non-retryable, the
 * rest keep the activity's retry policy (bounded backoff).
 */
export function toActivityFailure(error: unknown): unknown {
  if (!(error instanceof FullSessionError)) return error;
  return ApplicationFailure.create({
    message: error.message,
    type: FailureType.fullSession(error.kind),
    nonRetryable: error.permanent,
    details: [{ kind: error.kind, status: error.details.status ?? null }],
  });
}
