import { inspect } from 'node:util';

/**
 * Shows only what an operator needs to match a key with the vendor's list:
 * the prefix and the last three characters, as FullSession's UI does.
 *
 * @example obfuscateKey('fus_abcdefghijkl') // 'fus_****jkl'
 */
export function obfuscateKey(key: string): string {
  const prefix = /^[a-z0-9]+_/i.exec(key)?.[0] ?? '';
  if (key.length - prefix.length < 8) return `${prefix}****`;
  return `${prefix}****${key.slice(-3)}`;
}

/**
 * Holds an API key so that it cannot leak by accident: logging, JSON
 * serialisation, string interpolation and util.inspect all show the
 * obfuscated form. Only `reveal()` returns the key, at the HTTP call.
 */
export class Secret {
  readonly #value: string;
  readonly obfuscated: string;

  constructor(value: string) {
    this.#value = value;
    this.obfuscated = obfuscateKey(value);
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
