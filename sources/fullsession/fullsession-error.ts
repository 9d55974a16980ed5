import { SourceError } from '../source-error.js';

/** The site and credential a request was made for, as named in error messages. */
export interface RequestSubject {
  customerId: string;
  siteId: string;
  credentialName: string;
  obfuscatedKey: string;
}

/**
 * Maps a FullSession HTTP status to the shared taxonomy, with a message that
 * tells an operator at 3 a.m. which key, which site, and what to do. Never
 * includes the key itself.
 */
export function errorForStatus(status: number, subject: RequestSubject, retryAfterMs: number, bodyExcerpt: string): SourceError {
  const key = `credential ${subject.credentialName} (${subject.obfuscatedKey})`;
  const site = `site ${subject.siteId} of customer ${subject.customerId}`;
  // Retry-After is read for a 429 only: a retry's wait after a 5xx is the backoff's (unit-retry.ts).
  const details = { status, bodyExcerpt };
  switch (status) {
    case 401:
      return new SourceError('credential_rejected', `FullSession rejected ${key} with 401: the token is wrong, revoked or deleted. Create a new token in FullSession (Settings → API Tokens) and update the secret of ${subject.credentialName}.`, { ...details, reason: 'unauthorized' });
    case 403:
      return new SourceError('stream_unavailable', `FullSession refused ${key} for ${site} with 403: the token is not scoped to this site. Create a token scoped to it (or to all sites) and update the secret of ${subject.credentialName}.`, { ...details, reason: 'forbidden' });
    case 404:
      return new SourceError('stream_unavailable', `FullSession answered 404 for ${site}: the customer id or site id is unknown. Check FULLSESSION_CUSTOMER_ID and the site ids.`, { ...details, reason: 'not_found' });
    case 429:
      return new SourceError('rate_limited', `FullSession rate limit reached for ${site}; retrying after ${retryAfterMs} ms.`, { ...details, retryAfterMs, reason: 'rate_limited' });
    default:
      if (status >= 500) return new SourceError('transient', `FullSession answered HTTP ${status} for ${site}: ${bodyExcerpt}`, { ...details, reason: 'server_error' });
      return new SourceError('stream_unavailable', `FullSession answered HTTP ${status} for ${site}, which retrying cannot fix: ${bodyExcerpt}`, { ...details, reason: 'bad_request' });
  }
}
