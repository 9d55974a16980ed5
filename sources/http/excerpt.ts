import { scrubSecrets } from '../../config/secret.js';

const EXCERPT_LENGTH = 200;
/** Scrubbing this much of a body covers any key that starts within the excerpt. */
const MAX_SCRUBBED_LENGTH = 64 * 1024;

/**
 * The start of a response body, for error messages and logs, with every key
 * scrubbed out first: an API or proxy may echo the request's Authorization
 * header, and a key cut in half by the excerpt would escape the scrubbing.
 */
export function excerpt(body: string): string {
  const scrubbed = scrubSecrets(body.length > MAX_SCRUBBED_LENGTH ? body.slice(0, MAX_SCRUBBED_LENGTH) : body);
  return scrubbed.length > EXCERPT_LENGTH ? `${scrubbed.slice(0, EXCERPT_LENGTH)}…` : scrubbed;
}
