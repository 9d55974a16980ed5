import { SourceError } from '../source-error.js';

/** The credential a request was made with, as named in error messages. */
export interface KeySubject {
  credentialName: string;
  /** The key's suffix (`…/3BTYMQW`) or its legacy fingerprint. */
  obfuscatedKey: string;
}

const KEYS_PAGE = 'Settings > Integrations > API Keys';

/**
 * Maps a FullStory HTTP status to the shared taxonomy, with a message that
 * says which key, what is wrong and what to do. Never includes the key.
 */
export function fullStoryErrorForStatus(status: number, subject: KeySubject, retryAfterMs: number, bodyExcerpt: string): SourceError {
  const key = `credential ${subject.credentialName} (${subject.obfuscatedKey})`;
  const details = { status, retryAfterMs, bodyExcerpt };
  switch (status) {
    case 401:
      return new SourceError('credential_rejected', `FullStory rejected ${key} with 401: the key is wrong or revoked, or the user who created it was removed. Create a key in FullStory (${KEYS_PAGE}) and update the secret of ${subject.credentialName}.`, { ...details, reason: 'unauthorized' });
    case 403:
      return new SourceError('credential_rejected', `FullStory refused ${key} with 403: exporting needs an Architect or Admin key. Create an Architect key in FullStory (${KEYS_PAGE}) and update the secret of ${subject.credentialName}.`, { ...details, reason: 'forbidden' });
    case 404:
      return new SourceError('stream_unavailable', `FullStory answered 404 for ${key}: the export or operation is unknown to its org.`, { ...details, reason: 'not_found' });
    case 429:
      return new SourceError('rate_limited', `FullStory rate limit reached for ${key}; retrying after ${retryAfterMs} ms.`, { ...details, reason: 'rate_limited' });
    default:
      if (status >= 500) return new SourceError('transient', `FullStory answered HTTP ${status}: ${bodyExcerpt}`, { ...details, reason: 'server_error' });
      return new SourceError('stream_unavailable', `FullStory answered HTTP ${status}, which retrying cannot fix: ${bodyExcerpt}`, { ...details, reason: 'bad_request' });
  }
}
