import { boundedJsonText, MAX_JSON_DEPTH, scanJson, toStorableJson } from '../../db/storable-values.js';
import { parseLosslessJson } from './lossless-json.js';
import { malformedFile } from './malformed-file.js';

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
 * How one export type's rows are staged: the typed values taken in
 * JavaScript (checked so no cast can fail in SQL) that come before the
 * staging table's `raw, raw_original, reject_reason`, or why a row is refused.
 */
export interface LineShape {
  /** How many leading columns `judge` gives. */
  leadingColumns: number;
  judge(row: Record<string, unknown>): { values: Array<string | null> } | { reason: string };
}

/**
 * One export line as a COPY text line of a staging table: the shape's
 * leading values, the row as jsonb text, the exact original when the stored
 * row had to differ from it, and why it is rejected (the load moves those
 * rows to fullstory_rejects). A line that is not a JSON object fails the file.
 *
 * @example stagedLine('{"EventStart":"2026-11-01T00:00:01Z","SessionId":8658262255227649805}', eventShape(window))
 */
export function stagedLine(line: string, shape: LineShape): { copyLine: string; rejectReason: string | null } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw malformedFile('a line is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformedFile('a line is not a JSON object');
  const careful = NEEDS_CARE.test(line) || openingBrackets(line) > MAX_JSON_DEPTH;
  const judged = shape.judge(value as Record<string, unknown>);
  const reason = 'reason' in judged ? judged.reason : careful && scanJson(value, MAX_JSON_DEPTH).tooDeep ? `row nests deeper than ${MAX_JSON_DEPTH} levels` : null;
  if (reason !== null) {
    const nulls = Array.from({ length: shape.leadingColumns }, () => null);
    return { copyLine: copyLine([...nulls, storableText(boundedJsonText(parseLosslessJson(line))), line, reason]), rejectReason: reason };
  }
  const { values } = judged as { values: Array<string | null> };
  // The careful path stores ids as text and keeps the line exactly beside the row.
  const stored = careful ? [storableText(JSON.stringify(parseLosslessJson(line))), line] : [line, null];
  return { copyLine: copyLine([...values, ...stored, null]), rejectReason: null };
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

function copyLine(fields: Array<string | null>): string {
  return `${fields.map((field) => (field === null ? '\\N' : copyText(field))).join('\t')}\n`;
}

/** A value in COPY's text format: backslash, tab, newline and carriage return escaped. */
function copyText(value: string): string {
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (char) => COPY_ESCAPES[char]!) : value;
}

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
