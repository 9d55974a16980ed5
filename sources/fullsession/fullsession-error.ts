/**
 * What went wrong talking to FullSession, in the one taxonomy the activities
 * use to decide between retrying and stopping:
 * - permanent: the credential or the address is wrong; retrying cannot help.
 * - rate_limited: wait for Retry-After, then try again.
 * - transient: 5xx, timeouts, resets; retry with backoff.
 * - malformed: the body is not the documented shape; retry a few times, then fail.
 */
export type FullSessionErrorKind =
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'bad_request'
  | 'rate_limited'
  | 'server_error'
  | 'network'
  | 'timeout'
  | 'malformed';

const PERMANENT_KINDS: ReadonlySet<FullSessionErrorKind> = new Set(['unauthorized', 'forbidden', 'not_found', 'bad_request']);

export class FullSessionError extends Error {
  constructor(
    readonly kind: FullSessionErrorKind,
    message: string,
    readonly details: { status?: number; retryAfterMs?: number; bodyExcerpt?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FullSessionError';
  }

  get permanent(): boolean {
    return PERMANENT_KINDS.has(this.kind);
  }
}

/** The site and credential a request was made for, as named in error messages. */
export interface RequestSubject {
  customerId: string;
  siteId: string;
  credentialName: string;
  obfuscatedKey: string;
}

/**
 * Maps an HTTP status to an error whose message tells an operator at 3 a.m.
 * which key, which site, and what to do. Never includes the key itself.
 */
export function errorForStatus(status: number, subject: RequestSubject, retryAfterMs: number, bodyExcerpt: string): FullSessionError {
  const key = `credential ${subject.credentialName} (${subject.obfuscatedKey})`;
  const site = `site ${subject.siteId} of customer ${subject.customerId}`;
  const details = { status, retryAfterMs, bodyExcerpt };
  switch (status) {
    case 401:
      return new FullSessionError('unauthorized', `FullSession rejected ${key} with 401: the token is wrong, revoked or deleted. Create a new token in FullSession (Settings → API Tokens) and update the secret of ${subject.credentialName}.`, details);
    case 403:
      return new FullSessionError('forbidden', `FullSession refused ${key} for ${site} with 403: the token is not scoped to this site. Create a token scoped to it (or to all sites) and update the secret of ${subject.credentialName}.`, details);
    case 404:
      return new FullSessionError('not_found', `FullSession answered 404 for ${site}: the customer id or site id is unknown. Check FULLSESSION_CUSTOMER_ID and the site ids.`, details);
    case 429:
      return new FullSessionError('rate_limited', `FullSession rate limit reached for ${site}; retrying after ${retryAfterMs} ms.`, details);
    default:
      if (status >= 500) return new FullSessionError('server_error', `FullSession answered HTTP ${status} for ${site}: ${bodyExcerpt}`, details);
      return new FullSessionError('bad_request', `FullSession answered HTTP ${status} for ${site}, which retrying cannot fix: ${bodyExcerpt}`, details);
  }
}
