import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TYPED_EVENT_COLUMNS, typedEventValues } from '../sources/fullstory/typed-event-columns.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase(false);
});

afterAll(async () => {
  await database?.drop();
});

/** What Postgres stores in the typed columns for this line: `nullif(raw->>field, '')`. */
async function postgresValues(line: string): Promise<Array<string | null>> {
  const { rows } = await sql<{ values: Array<string | null> }>`
    select array[${sql.join(TYPED_EVENT_COLUMNS.map(([, field]) => sql`nullif(${line}::jsonb->>${field}, '')`))}] as values`.execute(database.db);
  return rows[0]!.values;
}

const ALL_NULL = TYPED_EVENT_COLUMNS.map(() => null);

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
    const read = typedEventValues(line);
    // A line the text is sure of must match exactly; an unsure one is read by Postgres itself.
    if (read !== undefined) expect(read).toEqual(await postgresValues(line));
  });

  it('reads a plain flat line itself and leaves one it cannot be sure of to Postgres', () => {
    expect(typedEventValues('{"UserId":8658262255227649805,"EventType":"click","PageUrl":""}')).toEqual(['8658262255227649805', null, null, null, 'click', null, null]);
    expect(typedEventValues('{"Other":"UserId"}')).toEqual(ALL_NULL);
    expect(typedEventValues('{"UserId":1,"UserId":2}')).toBeUndefined();
    expect(typedEventValues('{"UserId":1.50}')).toBeUndefined();
    expect(typedEventValues('{"UserId":-0}')).toBeUndefined();
    expect(typedEventValues('{"EventType":"a\\"b","UserId":1}')).toBeUndefined();
  });
});
