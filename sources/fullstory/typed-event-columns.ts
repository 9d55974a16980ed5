import { sql, type RawBuilder } from 'kysely';
import { sessionStartedAt } from './session-key.js';

/** fullstory_events' typed columns and the export field each holds (as `nullif(raw->>field, '')`). */
export const TYPED_EVENT_COLUMNS = [
  ['user_id', 'UserId'],
  ['session_id', 'SessionId'],
  ['page_id', 'PageId'],
  ['indv_id', 'IndvId'],
  ['event_type', 'EventType'],
  ['page_url', 'PageUrl'],
  ['user_email', 'UserEmail'],
] as const;

/** The typed columns, and last the key of the event's session (session-key.ts), computed from its `SessionStart` and its start. */
export const TYPED_COLUMN_NAMES = [...TYPED_EVENT_COLUMNS.map(([column]) => column), 'session_started_at'] as const;

const FIELD_KEYS = fieldKeys([...TYPED_EVENT_COLUMNS.map(([, field]) => field), 'SessionStart']);
const PLAIN_INTEGER = /^-?(?:0|[1-9]\d*)$/;
const LITERAL = /[^,}\s]*/y;

/**
 * The typed column values of an export line (TYPED_COLUMN_NAMES), exactly
 * as Postgres gives them (`nullif(raw->>field, '')`, and the session key
 * as an ISO instant), read from the text; undefined when
 * the text alone cannot say for sure (escapes, nesting, a key twice, a
 * number Postgres would write differently), for Postgres to read from
 * `raw` instead. Sure only on a plain flat line: with no backslash every
 * quote opens or closes a string, so a `"Field":` found is that key and
 * the string after it is its exact value.
 *
 * @example typedEventValues('{"UserId":8658262255227649805,"EventType":"click"}', Date.parse('2026-12-01T10:00:00Z')) // ['8658262255227649805', null, null, null, 'click', null, null, '2026-12-01T00:00:00.000Z']
 */
export function typedEventValues(line: string, eventStartMs: number): Array<string | null> | undefined {
  const values = plainFieldValues(line, FIELD_KEYS);
  if (values === undefined) return undefined;
  values.push(new Date(sessionStartedAt(values.pop() ?? null, eventStartMs)).toISOString());
  return values;
}

/** What finds each field's key in a line, for plainFieldValues. */
export function fieldKeys(fields: readonly string[]): RegExp[] {
  return fields.map((field) => new RegExp(`"${field}"\\s*:\\s*`, 'g'));
}

/**
 * The values of the fields whose keys are given, read from the text of a
 * plain flat line as `nullif(raw->>field, '')` gives them; undefined when
 * the text alone cannot say for sure (see typedEventValues).
 */
export function plainFieldValues(line: string, keys: readonly RegExp[]): Array<string | null> | undefined {
  if (line.includes('\\') || line.includes('[') || line.indexOf('{', 1) !== -1) return undefined;
  const values: Array<string | null> = [];
  for (const key of keys) {
    const value = fieldValue(line, key);
    if (value === undefined) return undefined;
    values.push(value);
  }
  return values;
}

/** The field's text (null when absent, null or empty), or undefined when unsure. */
function fieldValue(line: string, key: RegExp): string | null | undefined {
  key.lastIndex = 0;
  const found = key.exec(line);
  if (!found) return null;
  const start = key.lastIndex;
  if (key.exec(line)) return undefined; // a key twice: jsonb keeps the last, leave it to Postgres
  if (line.charCodeAt(start) === 0x22) {
    const end = line.indexOf('"', start + 1);
    return end > start + 1 ? line.slice(start + 1, end) : null;
  }
  LITERAL.lastIndex = start;
  const literal = LITERAL.exec(line)![0];
  if (literal === 'null') return null;
  if (literal === 'true' || literal === 'false') return literal;
  // numeric writes -0 as 0, and fractions and exponents in its own form.
  return PLAIN_INTEGER.test(literal) && literal !== '-0' ? literal : undefined;
}

/** The typed columns, as a SQL column list. */
export function typedColumnList(): RawBuilder<unknown> {
  return sql.join(TYPED_COLUMN_NAMES.map((column) => sql.ref(column)));
}

/** The typed columns' values read by Postgres from a raw row and its start, in the order of typedColumnList. */
export function typedColumnsOf(raw: RawBuilder<unknown>, eventStart: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql.join([...TYPED_EVENT_COLUMNS.map(([, field]) => sql`nullif(${raw}->>${field}, '')`), sessionKeyOf(raw, eventStart)]);
}

/** The key of a stored event's session, by the same rule as sessionStartedAt (the migration's SQL function). */
export function sessionKeyOf(raw: RawBuilder<unknown>, eventStart: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`fullstory_session_started_at(${raw}->>'SessionStart', ${eventStart})`;
}
