import { boundedJsonText, MAX_INSTANT_MS, MAX_JSON_DEPTH, scanJson, toStorableJson } from '../../db/storable-values.js';
import type { SyncWindow } from '../../workflows/sync-contract.js';
import { parseLosslessJson } from './lossless-json.js';
import { malformedFile } from './malformed-file.js';

/** The staging table's columns, in the order of each COPY line. */
export const STAGING_COLUMNS = '(event_start, raw, raw_original, reject_reason)';

/**
 * What Postgres's jsonb parser would refuse, or store other than exactly, in
 * a line that JSON.parse accepts: the NUL or a lone surrogate escaped as
 * \u0000 / \ud800, numbers beyond numeric's range (huge exponents or digit
 * runs). Such lines, and lines nested deeper than MAX_JSON_DEPTH, take the
 * careful path; every other line goes to Postgres as it came, which parses
 * it once, ids beyond 2^53 exactly.
 */
const NEEDS_CARE = /\\u(?:0000|[dD][89a-fA-F])|\d[eE][+-]?\d{3}|\d{1000}/;

/**
 * One export line as a COPY text line of the staging table: the event's
 * start, the row as jsonb text, the exact original when the stored row had
 * to differ from it, and why it is rejected (the load moves those rows to
 * fullstory_rejects). A line that is not a JSON object fails the file.
 *
 * @example stagedEventLine('{"EventStart":"2026-11-01T00:00:01Z","SessionId":8658262255227649805}', window)
 */
export function stagedEventLine(line: string, window: SyncWindow): { copyLine: string; rejectReason: string | null } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw malformedFile('a line is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformedFile('a line is not a JSON object');
  const careful = NEEDS_CARE.test(line) || openingBrackets(line) > MAX_JSON_DEPTH;
  const reason = rejectReason((value as Record<string, unknown>).EventStart, window) ?? (careful && scanJson(value, MAX_JSON_DEPTH).tooDeep ? `event nests deeper than ${MAX_JSON_DEPTH} levels` : null);
  if (reason !== null) return { copyLine: copyLine(null, storableText(boundedJsonText(parseLosslessJson(line))), line, reason), rejectReason: reason };
  const eventStart = new Date(Date.parse((value as { EventStart: string }).EventStart)).toISOString();
  // The careful path stores ids as text and keeps the line exactly beside the row.
  return { copyLine: careful ? copyLine(eventStart, storableText(JSON.stringify(parseLosslessJson(line))), line, null) : copyLine(eventStart, line, null, null), rejectReason: null };
}

function rejectReason(start: unknown, window: SyncWindow): string | null {
  const at = typeof start === 'string' ? Date.parse(start) : Number.NaN;
  if (!(at >= 0 && at <= MAX_INSTANT_MS)) return 'event has no parseable EventStart';
  if (at < window.start || at >= window.end) return 'event starts outside the exported window';
  return null;
}

/** JSON text with its unstorable strings made storable. */
function storableText(json: string): string {
  return JSON.stringify(toStorableJson(JSON.parse(json)).value);
}

/** An upper bound of the line's nesting depth, without parsing it again. */
function openingBrackets(line: string): number {
  let count = 0;
  for (let i = line.indexOf('{'); i !== -1; i = line.indexOf('{', i + 1)) count++;
  for (let i = line.indexOf('['); i !== -1; i = line.indexOf('[', i + 1)) count++;
  return count;
}

function copyLine(...fields: Array<string | null>): string {
  return `${fields.map((field) => (field === null ? '\\N' : copyText(field))).join('\t')}\n`;
}

/** A value in COPY's text format: backslash, tab, newline and carriage return escaped. */
function copyText(value: string): string {
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (char) => COPY_ESCAPES[char]!) : value;
}

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
