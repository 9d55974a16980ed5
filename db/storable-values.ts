/**
 * What Postgres can store of values an API sent, decided before any statement
 * sees them. `text` and `jsonb` refuse two things JavaScript strings may hold:
 * the NUL character and lone UTF-16 surrogates (half of a character, left by a
 * tracker that cut a string). Both become U+FFFD in the stored value, and the
 * value exactly as received is kept beside it as JSON text (JSON escapes both
 * as `\u0000` / `\ud800`), so nothing is lost: `JSON.parse(original)` gives it back.
 */

const REPLACEMENT = '\uFFFD';

/** Deeper values are refused: JSON.stringify and Postgres's jsonb parser both recurse, and overflow in the thousands. */
export const MAX_JSON_DEPTH = 64;

/** The largest instant a timestamptz column takes from us: the end of year 9999 (JavaScript Dates and ISO text agree up to there). */
export const MAX_INSTANT_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Whether Postgres can store this string in text or jsonb as it is. */
export function isStorableText(text: string): boolean {
  return !text.includes('\u0000') && text.isWellFormed();
}

/** The string with NUL and lone surrogates replaced by U+FFFD. */
export function storableText(text: string): string {
  return isStorableText(text) ? text : text.toWellFormed().replaceAll('\u0000', REPLACEMENT);
}

/** What a JSON value holds that Postgres cannot take as it is. */
export interface JsonScan {
  /** Arrays and objects nest deeper than the limit given. */
  tooDeep: boolean;
  /** Some string, key or value, holds a NUL or a lone surrogate. */
  unstorableText: boolean;
}

/**
 * Scans a JSON value once, allocating nothing: the common case (every
 * session of every page) must stay cheap. Recursive, but it stops one level
 * past `maxDepth`, so the values it screens cannot overflow the stack.
 */
export function scanJson(value: unknown, maxDepth: number): JsonScan {
  const scan: JsonScan = { tooDeep: false, unstorableText: false };
  const visit = (current: unknown, depth: number): void => {
    if (typeof current === 'string') {
      if (!scan.unstorableText && !isStorableText(current)) scan.unstorableText = true;
      return;
    }
    if (typeof current !== 'object' || current === null) return;
    if (depth >= maxDepth) {
      scan.tooDeep = true;
      return;
    }
    if (Array.isArray(current)) {
      for (const item of current) if (!scan.tooDeep) visit(item, depth + 1);
      return;
    }
    for (const key in current) {
      if (scan.tooDeep) return;
      if (!scan.unstorableText && !isStorableText(key)) scan.unstorableText = true;
      visit((current as Record<string, unknown>)[key], depth + 1);
    }
  };
  visit(value, 0);
  return scan;
}

export interface StorableJson {
  /** The value with every unstorable string (keys included) made storable. */
  value: unknown;
  /** The value exactly as received, as JSON text; null when `value` already is exactly it. */
  original: string | null;
}

/**
 * Makes a JSON value storable as jsonb. Call only on values within
 * MAX_JSON_DEPTH (see scanJson): it recurses.
 */
export function toStorableJson(value: unknown): StorableJson {
  if (!scanJson(value, MAX_JSON_DEPTH).unstorableText) return { value, original: null };
  const storable = storableJsonValue(value);
  return { value: storable, original: storable === value ? null : JSON.stringify(value) };
}

/** Returns the same object when nothing in it changes, so callers can tell. */
function storableJsonValue(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) {
    const items = value.map(storableJsonValue);
    return items.some((item, i) => item !== value[i]) ? items : value;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).map(([key, item]) => [storableText(key), storableJsonValue(item)] as const);
    const changed = entries.some(([key, item]) => !Object.hasOwn(value, key) || item !== (value as Record<string, unknown>)[key]);
    // fromEntries defines own properties, so a "__proto__" key stays data.
    return changed ? Object.fromEntries(entries) : value;
  }
  return value;
}

/**
 * JSON text of a value of any depth, for rejects: subtrees deeper than
 * MAX_JSON_DEPTH are replaced by a marker string instead of overflowing.
 */
export function boundedJsonText(value: unknown): string {
  return JSON.stringify(cutBelow(value, MAX_JSON_DEPTH));
}

function cutBelow(value: unknown, depthLeft: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depthLeft === 0) return `[nested deeper than ${MAX_JSON_DEPTH} levels; cut here]`;
  if (Array.isArray(value)) return value.map((item) => cutBelow(item, depthLeft - 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, cutBelow(item, depthLeft - 1)]));
}
