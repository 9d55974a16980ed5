import { ApplicationFailure } from '@temporalio/activity';
import { scrubSecrets } from '../config/secret.js';
import { SourceError } from '../sources/source-error.js';
import { FailureType } from '../workflows/failure-types.js';

export { FailureType };

/**
 * A malformed page is tried this many times in a row (unit-retry.ts), then
 * the window fails: a server that keeps sending garbage will not heal within
 * the retry policy's ten attempts, and the operator needs the excerpt sooner.
 */
export const MALFORMED_PAGE_ATTEMPTS = 3;

/**
 * Converts a source's error into the Temporal failure that carries the retry
 * decision, the same for every source: permanent kinds become non-retryable,
 * bad data once it was malformed MALFORMED_PAGE_ATTEMPTS times in a row, the
 * rest keep the activity's retry policy (bounded backoff). `malformedTries`
 * counts the tries in a row that were malformed.
 */
export function toActivityFailure(error: unknown, malformedTries = 0): unknown {
  if (!(error instanceof SourceError)) return withoutSecrets(error);
  const givingUp = error.kind === 'bad_data' && malformedTries >= MALFORMED_PAGE_ATTEMPTS;
  return ApplicationFailure.create({
    message: scrubSecrets(givingUp ? `${error.message} (attempt ${malformedTries} of ${MALFORMED_PAGE_ATTEMPTS}; giving up on this window)` : error.message),
    type: FailureType[error.kind],
    nonRetryable: error.permanent || error.failsTheWindow || givingUp,
    details: [{ kind: error.kind, reason: error.details.reason, status: error.details.status ?? null }],
  });
}

/**
 * The last guard before Temporal's history: an error whose message or stack
 * quotes a key (a library echoing a request) is replaced by one that does
 * not, keeping its type and retry decision.
 */
function withoutSecrets(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const message = scrubSecrets(error.message);
  if (message === error.message && scrubSecrets(error.stack ?? '') === (error.stack ?? '')) return error;
  return ApplicationFailure.create({
    message,
    type: error instanceof ApplicationFailure ? (error.type ?? undefined) : error.name,
    nonRetryable: error instanceof ApplicationFailure && error.nonRetryable === true,
  });
}
