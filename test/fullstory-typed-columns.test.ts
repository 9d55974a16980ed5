import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TYPED_EVENT_COLUMNS, typedEventValues } from '../sources/fullstory/typed-event-columns.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
});

const EVENT_START = '2026-12-01T10:00:00.000Z';

/** What Postgres stores in the typed columns for this line: `nullif(raw->>field, '')`, and the session key (as an ISO instant). */
async function postgresValues(line: string, eventStart = EVENT_START): Promise<Array<string | null>> {
  const { rows } = await sql<{ values: Array<string | null> }>`
    select array[${sql.join(TYPED_EVENT_COLUMNS.map(([, field]) => sql`nullif(${line}::jsonb->>${field}, '')`))},
      to_char(fullstory_session_started_at(${line}::jsonb->>'SessionStart', ${eventStart}::timestamptz) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')] as values`.execute(database.db);
  return rows[0]!.values;
}

const ALL_NULL = [...TYPED_EVENT_COLUMNS.map(() => null), '2026-12-01T00:00:00.000Z'];
const at = Date.parse(EVENT_START);

describe('typed event columns read from an export line', () => {
  it.each([
    '{"UserId":8658262255227649805,"SessionId":-12,"PageId":0,"EventType":"click","PageUrl":"https://shop.example/p?x=1,2}","UserEmail":""}',
    '{ "UserId" : 1 , "IndvId":true, "EventType":null, "PageUrl" : "a:b" }',
    '{"EventType":"\\"UserId\\":5"}',
    '{"UserId":1,"UserId":2}',
    '{"UserId":-0,"SessionId":1}',
    '{"UserId":1.50,"SessionId":1}',
    '{"UserId":1e3}',
    '{"UserId":1,"x":{"SessionId":2}}',
    '{"UserId":1,"x":[2]}',
    '{"x\\"UserId":7}',
    '{"Other":"UserId","UserId":"u"}',
  ])('is what Postgres stores, or unsure (Postgres reads it after): %s', async (line) => {
    const read = typedEventValues(line, at);
    // A line the text is sure of must match exactly; an unsure one is read by Postgres itself.
    if (read !== undefined) expect(read).toEqual(await postgresValues(line));
  });

  it('reads a plain flat line itself and leaves one it cannot be sure of to Postgres', () => {
    expect(typedEventValues('{"UserId":8658262255227649805,"EventType":"click","PageUrl":""}', at)).toEqual(['8658262255227649805', null, null, null, 'click', null, null, '2026-12-01T00:00:00.000Z']);
    expect(typedEventValues('{"Other":"UserId"}', at)).toEqual(ALL_NULL);
    expect(typedEventValues('{"UserId":1,"UserId":2}', at)).toBeUndefined();
    expect(typedEventValues('{"UserId":1.50}', at)).toBeUndefined();
    expect(typedEventValues('{"UserId":-0}', at)).toBeUndefined();
    expect(typedEventValues('{"EventType":"a\\"b","UserId":1}', at)).toBeUndefined();
  });
});

describe("the key of an event's session", () => {
  it.each([
    ['2026-11-30T22:15:00.5Z', '2026-11-30T22:15:00.500Z'],
    ['2026-12-01T10:00:00Z', '2026-12-01T10:00:00.000Z'],
    ['2026-11-29T10:00:00.000Z', '2026-11-29T10:00:00.000Z'],
    // More than two days before the event, after it, or not an exact instant: the event's day.
    ['2026-11-29T09:59:59.999Z', '2026-12-01T00:00:00.000Z'],
    ['2026-12-01T10:00:00.001Z', '2026-12-01T00:00:00.000Z'],
    ['2026-11-31T10:00:00Z', '2026-12-01T00:00:00.000Z'],
    ['2026-02-29T10:00:00Z', '2026-12-01T00:00:00.000Z'],
    ['2026-11-30T24:00:00Z', '2026-12-01T00:00:00.000Z'],
    ['2026-11-30T23:59:60Z', '2026-12-01T00:00:00.000Z'],
    ['2026-11-30T22:15:00.1234Z', '2026-12-01T00:00:00.000Z'],
    ['2026-11-30T22:15:00+00:00', '2026-12-01T00:00:00.000Z'],
    ['2026-11-30 22:15:00Z', '2026-12-01T00:00:00.000Z'],
    ['now', '2026-12-01T00:00:00.000Z'],
  ])('is %s where it is exact and within reach, as Postgres keys it too', async (sessionStart, key) => {
    const line = JSON.stringify({ UserId: 'u', SessionStart: sessionStart });
    const read = typedEventValues(line, at);
    expect(read?.at(-1)).toBe(key);
    expect(read).toEqual(await postgresValues(line));
  });

  it('is the event\'s day for a start that is a number, or missing', async () => {
    for (const line of ['{"SessionStart":1764583200000}', '{"SessionStart":null}', '{"SessionStart":""}', '{}']) {
      expect(typedEventValues(line, at)).toEqual(ALL_NULL);
      expect(await postgresValues(line)).toEqual(ALL_NULL);
    }
  });
});
