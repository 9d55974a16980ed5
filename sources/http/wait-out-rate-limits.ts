import { SourceError } from '../source-error.js';
import type { RateBudget } from './rate-budget.js';

/** How long one call waits out 429s before handing over to Temporal's retry policy. */
const MAX_RATE_LIMIT_WAIT_MS = 10 * 60_000;

export interface RateLimitedCallOptions {
  budget: RateBudget;
  /** Counts each request, as it ends, by outcome: '2xx', the HTTP status, or the failure's reason. */
  countRequest(outcome: string): void;
  /** Told before each wait, for a log line. */
  onRateLimited(retryAfterMs: number): void;
}

/**
 * Runs one API call, waiting out 429s: each pauses the whole account's
 * budget for `Retry-After` and costs no retry attempt of the activity.
 * Other failures are thrown for the caller to classify.
 */
export async function waitOutRateLimits<T>(call: () => Promise<T>, options: RateLimitedCallOptions): Promise<T> {
  let waited = 0;
  for (;;) {
    try {
      const result = await call();
      options.countRequest('2xx');
      return result;
    } catch (error) {
      options.countRequest(requestOutcome(error));
      if (!(error instanceof SourceError) || error.kind !== 'rate_limited') throw error;
      const retryAfterMs = error.details.retryAfterMs ?? 0;
      if (waited + retryAfterMs > MAX_RATE_LIMIT_WAIT_MS) throw error;
      waited += retryAfterMs;
      options.onRateLimited(retryAfterMs);
      await options.budget.pause(retryAfterMs);
    }
  }
}

/** The metric label of a failed request: its HTTP status, else what went wrong. */
function requestOutcome(error: unknown): string {
  if (!(error instanceof SourceError)) return 'error';
  return error.details.status ? String(error.details.status) : error.details.reason;
}
