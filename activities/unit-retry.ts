import { SourceError } from '../sources/source-error.js';
import { MALFORMED_PAGE_ATTEMPTS, toActivityFailure } from './failures.js';

/**
 * Tries of one unit inside an activity for a transient failure before the
 * failure goes to Temporal, whose retry policy (backoff up to a minute,
 * ten attempts) then starts the activity again. Retrying here first, with
 * jitter, keeps a short burst of 5xx from a host (the API, or the file
 * storage behind an export) from spending Temporal's attempts: with half of
 * all answers failing, a unit that needs two good answers in a row still
 * gets through in 30 tries with odds of about 1 in 5,000 against.
 */
export const TRANSIENT_TRIES = 3;

/** The first wait; it doubles with each try, up to MAX_DELAY_MS. */
const BASE_DELAY_MS = 1_000;
const MAX_DELAY_MS = 30_000;

export interface UnitRetryOptions {
  /** Resolves after `ms`; rejects when the activity is cancelled. */
  sleep(ms: number): Promise<void>;
  /** In [0, 1): the jitter. */
  random(): number;
  /** Told before each wait, for a log line. */
  onRetry(error: SourceError, tryNumber: number, delayMs: number): void;
}

/**
 * Runs one unit (fetch, then commit) until it succeeds, retrying transient
 * failures up to TRANSIENT_TRIES times and malformed answers up to
 * MALFORMED_PAGE_ATTEMPTS times in a row, each after a backoff with jitter.
 * An expired download link is asked again at once. What it gives up on is
 * thrown: a transient failure for Temporal to retry, a malformed answer as a
 * non-retryable failure that says how many tries it was malformed in.
 */
export async function retryUnit<T>(tryUnit: () => Promise<T>, options: UnitRetryOptions): Promise<T> {
  let transient = 0;
  let malformed = 0;
  for (;;) {
    try {
      return await tryUnit();
    } catch (error) {
      if (!(error instanceof SourceError)) throw error;
      if (error.kind === 'bad_data') {
        malformed += 1;
        if (malformed >= MALFORMED_PAGE_ATTEMPTS) throw toActivityFailure(error, malformed);
      } else if (error.kind === 'transient') {
        transient += 1;
        if (transient >= TRANSIENT_TRIES) throw error;
      } else {
        throw error;
      }
      const tryNumber = transient + malformed;
      const delayMs = retryDelayMs(error, tryNumber, options.random());
      options.onRetry(error, tryNumber, delayMs);
      await options.sleep(delayMs);
    }
  }
}

/**
 * Exponential backoff with "equal jitter" (half fixed, half random), so
 * workers that failed together do not all come back in the same instant; at
 * least what the host asked for in Retry-After. An expired link needs no wait.
 */
export function retryDelayMs(error: SourceError, tryNumber: number, random: number): number {
  if (error.details.reason === 'location_expired') return 0;
  const backoff = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (tryNumber - 1));
  return Math.max(error.details.retryAfterMs ?? 0, Math.round(backoff / 2 + random * (backoff / 2)));
}
