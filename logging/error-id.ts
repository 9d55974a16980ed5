import { randomBytes } from 'node:crypto';

/**
 * A short id that ties the answer a caller got to the log line with the
 * details: callers get the id, never the database's or Temporal's own words.
 *
 * @example newErrorId() // 'e7f3a91c'
 */
export function newErrorId(): string {
  return randomBytes(4).toString('hex');
}
