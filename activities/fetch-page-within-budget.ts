import { Context } from '@temporalio/activity';
import { SourceError } from '../sources/source-error.js';
import type { PageRequest } from '../sources/fullsession/fullsession-client.js';
import type { FullSessionPage } from '../sources/fullsession/page-body.js';
import type { FullSessionSource } from '../sources/fullsession/fullsession-sources.js';

/** How long one activity waits out 429s before handing over to Temporal's retry policy. */
const MAX_RATE_LIMIT_WAIT_MS = 10 * 60_000;

/**
 * Fetches one page, waiting out 429s inside the activity: the wait pauses
 * the whole account budget and costs no retry attempt. Other failures are
 * thrown for the caller to classify.
 */
export async function fetchPageWithinBudget(
  source: FullSessionSource,
  request: Omit<PageRequest, 'signal'>,
): Promise<{ page: FullSessionPage; requests: number }> {
  const context = Context.current();
  let requests = 0;
  let waited = 0;
  for (;;) {
    requests += 1;
    try {
      const page = await source.client.fetchPage({ ...request, signal: context.cancellationSignal });
      source.countRequest('2xx');
      return { page, requests };
    } catch (error) {
      source.countRequest(requestOutcome(error));
      if (!(error instanceof SourceError) || error.kind !== 'rate_limited') throw error;
      const retryAfterMs = error.details.retryAfterMs ?? 0;
      if (waited + retryAfterMs > MAX_RATE_LIMIT_WAIT_MS) throw error;
      waited += retryAfterMs;
      context.log.warn('FullSession rate limit reached; pausing the account budget', { retryAfterMs });
      await source.budget.pause(retryAfterMs);
    }
  }
}

/** The metric label of a failed request: its HTTP status, else what went wrong. */
function requestOutcome(error: unknown): string {
  if (!(error instanceof SourceError)) return 'error';
  return error.details.status ? String(error.details.status) : error.details.reason;
}
