import { boundedJsonText, MAX_JSON_DEPTH, scanJson, toStorableJson } from '../../db/storable-values.js';
import { copyLine } from '../../db/copy-text.js';
import { parseLosslessJson } from './lossless-json.js';
import { malformedFile } from './malformed-file.js';

/**
 * What Postgres's jsonb parser would refuse in a line that JSON.parse
 * accepts: the NUL or a lone surrogate escaped as \u0000 / \ud800, numbers
 * beyond numeric's range (exponents of five digits, runs of 16,000 digits).
 * Such lines, and lines nested deeper than MAX_JSON_DEPTH, take the careful
 * path; every other line goes to Postgres as it came, which parses it once,
 * ids beyond 2^53 exactly. Cheap tests first: this runs for every line.
 */
function needsCare(line: string): boolean {
  if (line.includes('\\u') && /\\u(?:0000|[dD][89a-fA-F])/.test(line)) return true;
  if (/[eE][+-]?\d{5}/.test(line)) return true;
  return line.length >= 16_000 && /\d{16000}/.test(line);
}

/**
 * How one export type's rows are staged: the typed values taken in
 * JavaScript (checked so no cast can fail in SQL) that come before the
 * staging table's `raw, raw_original, reject_reason`, or why a row is refused.
 */
export interface LineShape {
  /** The staging table's leading columns, name and SQL type, in the order `judge` gives their values. */
  columns: Array<[name: string, type: string]>;
  judge(row: Record<string, unknown>, line: string): { values: Array<string | null> } | { reason: string };
  /**
   * The leading values read from the line's text alone, for a line that is
   * plainly one flat JSON object (one `{`, no `[`, no escapes to care
   * about), or undefined to parse it. Postgres still parses every line: a
   * line that is not JSON after all fails the COPY, and so the file.
   */
  quickJudge?(line: string): Array<string | null> | undefined;
}

/**
 * One export line judged: the shape's leading values, the row as jsonb
 * text, the exact original when the stored row had to differ from it, and
 * why it is refused (null when it is not). A line that is not a JSON
 * object fails the file.
 *
 * @example judgeLine('{"EventStart":"2026-11-01T00:00:01Z","SessionId":8658262255227649805}', eventShape(window))
 */
export function judgeLine(line: string, shape: LineShape): JudgedLine {
  const quick = shape.quickJudge && isPlainFlatObject(line) ? shape.quickJudge(line) : undefined;
  if (quick) return { values: quick, raw: line, rawOriginal: null, rejectReason: null };
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw malformedFile('a line is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformedFile('a line is not a JSON object');
  const careful = needsCare(line) || openingBrackets(line) > MAX_JSON_DEPTH;
  const judged = shape.judge(value as Record<string, unknown>, line);
  const reason = 'reason' in judged ? judged.reason : careful && scanJson(value, MAX_JSON_DEPTH).tooDeep ? `row nests deeper than ${MAX_JSON_DEPTH} levels` : null;
  if (reason !== null) {
    return { values: shape.columns.map(() => null), raw: storableText(boundedJsonText(parseLosslessJson(line))), rawOriginal: line, rejectReason: reason };
  }
  const { values } = judged as { values: Array<string | null> };
  // The careful path stores ids as text and keeps the line exactly beside the row.
  if (careful) return { values, raw: storableText(JSON.stringify(parseLosslessJson(line))), rawOriginal: line, rejectReason: null };
  return { values, raw: line, rawOriginal: null, rejectReason: null };
}

export interface JudgedLine {
  /** The shape's leading values; all null for a refused row. */
  values: Array<string | null>;
  /** The row as jsonb text: the line itself, unless it had to change. */
  raw: string;
  /** The exact line when `raw` differs from it, or the row is refused. */
  rawOriginal: string | null;
  rejectReason: string | null;
}

/**
 * One export line as a COPY text line of the staging table: the shape's
 * leading values, then `raw, raw_original, reject_reason` (the load moves
 * refused rows to fullstory_rejects).
 */
export function stagedLine(line: string, shape: LineShape): { copyLine: string; rejectReason: string | null } {
  const judged = judgeLine(line, shape);
  return { copyLine: copyLine([...judged.values, judged.raw, judged.rawOriginal, judged.rejectReason]), rejectReason: judged.rejectReason };
}

/** One `{` first, no other `{` or `[`, and nothing that needs care: its keys are the row's own. */
function isPlainFlatObject(line: string): boolean {
  return line.charCodeAt(0) === 0x7b && line.indexOf('{', 1) === -1 && !line.includes('[') && !needsCare(line);
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
