import { inspect } from 'node:util';

/**
 * Shows only what an operator needs to match a key with the vendor's list:
 * the prefix and the last three characters, as FullSession's UI does. The
 * default for a key whose source shows its keys no other way.
 *
 * @example obfuscateKey('fus_abcdefghijkl') // 'fus_****jkl'
 */
export function obfuscateKey(key: string): string {
  const prefix = /^[a-z0-9]+_/i.exec(key)?.[0] ?? '';
  if (key.length - prefix.length < 8) return `${prefix}****`;
  return `${prefix}****${key.slice(-3)}`;
}

/** Every key this process holds, with its shown form, so that scrubSecrets can find them in text that came from outside. */
const heldKeys = new Map<string, string>();

/**
 * Holds an API key so that it cannot leak by accident: logging, JSON
 * serialisation, string interpolation and util.inspect all show the
 * obfuscated form. Only `reveal()` returns the key, at the HTTP call.
 */
export class Secret {
  readonly #value: string;
  readonly obfuscated: string;

  /** `obfuscate` is how the key's source shows its keys (its definition's `obfuscateKey`). */
  constructor(value: string, obfuscate: (key: string) => string = obfuscateKey) {
    this.#value = value;
    this.obfuscated = obfuscate(value);
    heldKeys.set(value, this.obfuscated);
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return this.obfuscated;
  }

  toJSON(): string {
    return this.obfuscated;
  }

  [inspect.custom](): string {
    return `Secret(${this.obfuscated})`;
  }
}

/** What a key looks like inside a header: one line of printable ASCII, no spaces. */
const KEY_CHARACTERS = /^[\x21-\x7e]+$/;

/**
 * Why a key read from an environment variable or file cannot be a key, or
 * null. Says what is wrong without quoting any of it: a value with two lines
 * is often two keys left over from a rotation.
 */
export function keyShapeProblem(value: string): string | null {
  if (KEY_CHARACTERS.test(value)) return null;
  const lines = value.split(/\r?\n/).length;
  if (lines > 1) return `holds ${lines} lines; a key is one line (keep only the current key)`;
  return 'holds spaces or characters outside printable ASCII; a key is one line of printable characters';
}

/** `Authorization` values of any key, held or not: a proxy may echo one we do not know. */
const AUTHORIZATION_VALUE = /\b(Bearer|Basic)(\s+)(?=\S*\d)[A-Za-z0-9._~+/=-]{8,}/gi;

/**
 * Replaces every key this process holds, in each form text may quote it
 * (as is, URL-encoded, JSON-escaped, base64), with its obfuscated form, and
 * any Bearer or Basic credential with "[redacted]". Apply it to whatever
 * came from outside before it goes into a message, a log line, a row or a
 * workflow history; and before cutting an excerpt, so no half key survives.
 *
 * @example scrubSecrets('echo: Bearer fus_abcdefghijkl') // 'echo: Bearer [redacted]'
 */
export function scrubSecrets(text: string): string {
  let scrubbed = text;
  for (const [key, shown] of heldKeys) {
    for (const form of quotedForms(key)) {
      if (scrubbed.includes(form)) scrubbed = scrubbed.replaceAll(form, shown);
    }
  }
  return scrubbed.replace(AUTHORIZATION_VALUE, '$1$2[redacted]').replace(MCP_API_KEY, 'ssk_…/$1');
}

/** A session-sync MCP key (mcp/api-key.ts) anywhere in text: shown by its suffix only. */
const MCP_API_KEY = /ssk_[A-Za-z0-9_-]{43}\/([A-Za-z0-9]{7})/g;

function quotedForms(key: string): string[] {
  return [key, encodeURIComponent(key), JSON.stringify(key).slice(1, -1), Buffer.from(key).toString('base64')];
}
