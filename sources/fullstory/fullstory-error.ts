import { SourceError } from '../source-error.js';

/** The credential a request was made with, as named in error messages. */
export interface KeySubject {
  credentialName: string;
  /** The key's suffix (`…/3BTYMQW`) or its legacy fingerprint. */
  obfuscatedKey: string;
  /** The API host the key's requests go to, which its data centre decides. */
  apiOrigin: string;
}

const KEYS_PAGE = 'Settings > Integrations > API Keys';

/**
 * A key of one data centre for an org of another: FullStory keeps each data
 * centre's orgs and keys apart, so every request would get a bare 401. Said
 * before any request, from the key's prefix and the org id's suffix.
 */
export function dataCentreMismatch(subject: KeySubject, keyCentre: string, orgId: string, orgCentre: string): SourceError {
  return new SourceError(
    'credential_rejected',
    `credential ${subject.credentialName} (${subject.obfuscatedKey}) is a key of FullStory's ${keyCentre} data centre, but org ${orgId} is in ${orgCentre}: ` +
      `its requests go to ${subject.apiOrigin}, which does not know the org. Create a key in org ${orgId} (${orgCentre}, ${KEYS_PAGE}) and update the secret of ${subject.credentialName}, or fix the org id in the config.`,
    { reason: 'data_centre_mismatch' },
  );
}

/**
 * Maps a FullStory HTTP status to the shared taxonomy, with a message that
 * says which key, what is wrong and what to do. Never includes the key.
 */
export function fullStoryErrorForStatus(status: number, subject: KeySubject, retryAfterMs: number, bodyExcerpt: string): SourceError {
  const key = `credential ${subject.credentialName} (${subject.obfuscatedKey})`;
  // Retry-After is read for a 429 only: a retry's wait after a 5xx is the backoff's (unit-retry.ts).
  const details = { status, bodyExcerpt };
  switch (status) {
    case 401:
      return new SourceError('credential_rejected', `FullStory (${subject.apiOrigin}) rejected ${key} with 401: the key is wrong or revoked, the user who created it was removed, or it belongs to another data centre's host. Create a key in FullStory (${KEYS_PAGE}) and update the secret of ${subject.credentialName}.`, { ...details, reason: 'unauthorized' });
    case 403:
      return new SourceError('credential_rejected', `FullStory refused ${key} with 403: exporting needs an Architect or Admin key. Create an Architect key in FullStory (${KEYS_PAGE}) and update the secret of ${subject.credentialName}.`, { ...details, reason: 'forbidden' });
    case 404:
      return new SourceError('stream_unavailable', `FullStory answered 404 for ${key}: the export or operation is unknown to its org.`, { ...details, reason: 'not_found' });
    case 429:
      return new SourceError('rate_limited', `FullStory rate limit reached for ${key}; retrying after ${retryAfterMs} ms.`, { ...details, retryAfterMs, reason: 'rate_limited' });
    default:
      if (status >= 500) return new SourceError('transient', `FullStory answered HTTP ${status}: ${bodyExcerpt}`, { ...details, reason: 'server_error' });
      return new SourceError('stream_unavailable', `FullStory answered HTTP ${status}, which retrying cannot fix: ${bodyExcerpt}`, { ...details, reason: 'bad_request' });
  }
}
