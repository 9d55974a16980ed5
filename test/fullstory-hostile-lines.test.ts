import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transactionWithCopy } from '../db/copy-transaction.js';
import { replaceWindowEvents } from '../sources/fullstory/events-table.js';
import { SourceError } from '../sources/source-error.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const WINDOW = { start: Date.UTC(2026, 10, 1), end: Date.UTC(2026, 10, 2) };
const AT = '"EventStart":"2026-11-01T10:00:00Z"';
const BIG_ID = '8658262255227649805';

let database: TestDatabase;
let streamCounter = 0;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
});

async function load(lines: string[]) {
  const target = { orgId: 'o-hostile', stream: `s${++streamCounter}` };
  const written = await transactionWithCopy(database.db, (trx, copyIn) => replaceWindowEvents(trx, copyIn, target, WINDOW, (async function* () {
    yield* lines;
  })()));
  const events = await sql<{ session_id: string | null; user_email: string | null; raw: string; raw_original: string | null }>`
    select session_id, user_email, raw::text as raw, raw_original from fullstory_events where org_id = ${target.orgId} and stream = ${target.stream} order by raw::text`.execute(database.db);
  const rejects = await database.db.selectFrom('fullstory_rejects').select(['reason', 'raw_original']).where('org_id', '=', target.orgId).where('stream', '=', target.stream).orderBy('reason').execute();
  return { written, events: events.rows, rejects, target };
}

describe('a FullStory export file with hostile lines', () => {
  it('lands every storable row, keeps the exact line beside a changed one, and rejects the rest with a reason', async () => {
    const deep = `{${AT},"x":${'['.repeat(70)}1${']'.repeat(70)}}`;
    const lines = [
      `{${AT},"SessionId":${BIG_ID},"UserEmail":"tab\\there"}`,
      `{${AT},"SessionId":1,"UserEmail":"nul\\u0000inside"}`,
      `{${AT},"SessionId":2,"UserEmail":"half \\ud800 a character"}`,
      `{${AT},"SessionId":3,"UserEmail":"a pair \\ud83d\\ude00"}`,
      `{${AT},"SessionId":4,"Huge":1e400,"Long":${'9'.repeat(1200)}}`,
      `{${AT},"SessionId":7,"Beyond":1e99999}`,
      deep,
      '{"SessionId":5}',
      '{"EventStart":"2026-11-03T00:00:00Z","SessionId":6}',
    ];
    const { written, events, rejects } = await load(lines);

    expect(written).toMatchObject({ received: 9, synced: 6, written: 6 });
    expect(written.rejectReasons.sort()).toEqual(['event has no parseable EventStart', 'event starts outside the exported window', 'row nests deeper than 64 levels']);
    const bySession = new Map(events.map((row) => [row.session_id, row]));
    expect([...bySession.keys()].sort()).toEqual(['1', '2', '3', '4', '7', BIG_ID]);
    // A plain line is stored as it came: the id exact, no copy of the line kept.
    expect(bySession.get(BIG_ID)).toMatchObject({ user_email: 'tab\there', raw_original: null });
    expect(bySession.get(BIG_ID)!.raw).toContain(`"SessionId": ${BIG_ID}`);
    // What jsonb cannot hold is stored as U+FFFD, or left out, with the exact line beside it.
    expect(bySession.get('1')).toMatchObject({ user_email: 'nul\uFFFDinside', raw_original: lines[1] });
    expect(bySession.get('2')).toMatchObject({ user_email: 'half \uFFFD a character', raw_original: lines[2] });
    expect(bySession.get('3')!.user_email).toBe('a pair 😀');
    // Numbers Postgres can hold are kept exactly as sent; one beyond its range is left to the exact line.
    expect(bySession.get('4')!.raw_original).toBeNull();
    expect(bySession.get('4')!.raw).toContain(`"Long": ${'9'.repeat(1200)}`);
    expect(bySession.get('7')!.raw_original).toBe(lines[5]);
    expect(rejects.map((reject) => [reject.reason, reject.raw_original])).toEqual([
      ['event has no parseable EventStart', lines[7]],
      ['event starts outside the exported window', lines[8]],
      ['row nests deeper than 64 levels', deep],
    ]);
  });

  it.each([
    ['JavaScript', '{"EventStart": truncated'],
    ['Postgres', `{${AT},"SessionId":2,"cut":tru}`],
  ])('fails the whole file on a line that is not JSON (found by %s), and writes nothing of it', async (_, broken) => {
    const failure = await load([`{${AT},"SessionId":1}`, broken]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SourceError);
    expect((failure as SourceError).message).toBe('FullStory sent a malformed export file: a line is not JSON');
    const count = await sql<{ n: string }>`select count(*) as n from fullstory_events where org_id = 'o-hostile' and stream = ${`s${streamCounter}`}`.execute(database.db);
    expect(count.rows[0]!.n).toBe('0');
  });
});
