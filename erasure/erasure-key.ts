import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import type { IdentityKind } from './identity.js';

/** The environment variable that holds the key suppressed identities are hashed with. */
export const ERASURE_KEY_VARIABLE = 'ERASURE_HASH_KEY';

/** Shorter keys could be guessed along with the identities: 32 characters of `openssl rand -base64 32` hold 192 bits and more. */
const MIN_KEY_LENGTH = 32;

/** No usable key where one is needed: what the operator reads, with what to do. */
export class ErasureKeyError extends Error {}

/**
 * The key of the suppression list's keyed hashes (HMAC-SHA-256): the
 * database holds only hashes, so it alone cannot tell who was erased,
 * nor test a guess. Logging or serialising it shows only its id.
 */
export class ErasureKey {
  readonly #key: string;
  /** Which key this is, without revealing it: stored beside every hash, so a worker with another key stops instead of letting suppressed people back. */
  readonly id: string;

  constructor(key: string) {
    this.#key = key;
    this.id = createHmac('sha256', key).update('session-sync erasure key id').digest('hex').slice(0, 16);
  }

  /** The hash an identity is stored and matched as. */
  hash(kind: IdentityKind, normalValue: string): string {
    return createHmac('sha256', this.#key).update(`${kind}\u0000${normalValue}`).digest('hex');
  }

  toString(): string {
    return `ErasureKey(${this.id})`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * The key from the environment, or undefined when it is not set; a key
 * too short is an error, never used.
 */
export function erasureKeyFromEnv(env: Record<string, string | undefined>): ErasureKey | undefined {
  const value = env[ERASURE_KEY_VARIABLE];
  if (value === undefined || value === '') return undefined;
  if (value.length < MIN_KEY_LENGTH) throw new ErasureKeyError(`${ERASURE_KEY_VARIABLE} is ${value.length} characters long; it must be at least ${MIN_KEY_LENGTH} (make one with: openssl rand -base64 32)`);
  return new ErasureKey(value);
}

/** The key, where it must be there: `forget` needs it to write the suppression list. */
export function requireErasureKey(env: Record<string, string | undefined>, forWhat: string): ErasureKey {
  const key = erasureKeyFromEnv(env);
  if (!key) {
    throw new ErasureKeyError(
      `${ERASURE_KEY_VARIABLE} is not set: ${forWhat} needs the key the suppression list is hashed with. ` +
        `Set the same value on every worker and wherever \`session-sync forget\` runs (make one with: openssl rand -base64 32; keep it like a password, and never change it: hashes made with another key no longer match).`,
    );
  }
  return key;
}
