import { excerpt } from '../http/excerpt.js';
import { SourceError } from '../source-error.js';

/** One page of the sessions endpoint: the raw sessions and the cursor for the next page. */
export interface FullSessionPage {
  sessions: unknown[];
  /** `data.startAfter` as received, or undefined when the response has none (the end). */
  nextCursor: unknown;
}

/**
 * Validates a 2xx body `{status, message, data: {startAfter, sessions}}`.
 * Anything else fails the whole page, so a malformed page is never half-written.
 *
 * @example parsePageBody('{"data":{"sessions":[]}}') // { sessions: [], nextCursor: undefined }
 */
export function parsePageBody(body: string): FullSessionPage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    // JSON.parse's own message quotes the body, unscrubbed: the excerpt says it instead.
    throw malformed('response body is not JSON', body);
  }
  const data = (parsed as { data?: unknown } | null)?.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw malformed('response body has no "data" object', body);
  }
  const { sessions, startAfter } = data as { sessions?: unknown; startAfter?: unknown };
  if (!Array.isArray(sessions)) throw malformed('response "data.sessions" is not an array', body);
  if (startAfter !== undefined && startAfter !== null && typeof startAfter !== 'number' && typeof startAfter !== 'string') {
    throw malformed('response "data.startAfter" is neither a number nor a string', body);
  }
  return { sessions, nextCursor: startAfter ?? undefined };
}

function malformed(reason: string, body: string): SourceError {
  return new SourceError('bad_data', `FullSession sent a malformed page: ${reason}. Body starts: ${excerpt(body)}`, {
    reason: 'malformed',
    bodyExcerpt: excerpt(body),
  });
}
