import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What every key starts with, so a leaked one is recognisable (and scrubbable) as session-sync's. */
const PREFIX = 'ssk_';
const SUFFIX_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
/** The key part of the keyed hash: a pepper from MCP_KEY_PEPPER when the deployment sets one, so the database alone cannot test guesses. */
const DEFAULT_PEPPER = 'session-sync mcp api key v1';

export interface NewApiKey {
  /** Shown once, never stored. */
  key: string;
  /** The 7 characters after the last `/`: all that is ever shown again. */
  suffix: string;
  hash: string;
}

/**
 * A new MCP API key, shaped like FullStory's: a 256-bit random secret, then
 * `/` and a 7-character alphanumeric suffix to recognise it by.
 *
 * @example createApiKey('pepper').key // 'ssk_Zk3…q0/3BTYMQW'
 */
export function createApiKey(pepper = DEFAULT_PEPPER): NewApiKey {
  const suffix = Array.from(randomBytes(7), (byte) => SUFFIX_ALPHABET[byte % SUFFIX_ALPHABET.length]).join('');
  const key = `${PREFIX}${randomBytes(32).toString('base64url')}/${suffix}`;
  return { key, suffix, hash: hashApiKey(key, pepper) };
}

/** The keyed hash (HMAC-SHA-256) a key is stored as. */
export function hashApiKey(key: string, pepper = DEFAULT_PEPPER): string {
  return createHmac('sha256', pepper).update(key).digest('hex');
}

/** The suffix of a presented key, or null when it is not shaped like one of ours. */
export function suffixOf(key: string): string | null {
  return /^ssk_[A-Za-z0-9_-]{43}\/([A-Za-z0-9]{7})$/.exec(key)?.[1] ?? null;
}

/** Whether a presented key matches a stored hash, compared in constant time. */
export function keyMatches(key: string, storedHash: string, pepper = DEFAULT_PEPPER): boolean {
  const presented = Buffer.from(hashApiKey(key, pepper), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
