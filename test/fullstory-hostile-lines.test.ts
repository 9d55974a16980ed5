import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transactionWithCopy } from '../db/copy-transaction.js';
import type { EmptyWindowOptions } from '../sources/fullstory/empty-window-load.js';
import { replaceWindowEvents } from '../sources/fullstory/events-table.js';
import { TYPED_EVENT_COLUMNS } from '../sources/fullstory/typed-event-columns.js';
import { SourceError } from '../sources/source-error.js';
import { FULLSTORY_EVENTS_TABLE, SitePartitions } from '../db/site-partitions.js';
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

/** A window that already holds an event (of another session, not in the file) is merged through the staging table. */
const EARLIER = `{${AT},"SessionId":99,"UserId":99}`;

type LoadPath = 'copied straight into an empty window' | 'merged into a window that holds events';

async function replace(target: { orgId: string; stream: string }, lines: string[], options?: EmptyWindowOptions) {
  // As the source does before a load: the window's partition exists first.
  await new SitePartitions(database.db).ensure(FULLSTORY_EVENTS_TABLE, { customerId: target.orgId, siteId: target.stream }, '1d', WINDOW);
  return transactionWithCopy(database.db, (trx, copyIn) => replaceWindowEvents(trx, copyIn, target, WINDOW, async function* () {
    yield lines;
  }, options));
}

async function load(lines: string[], path: LoadPath = 'copied straight into an empty window', options?: EmptyWindowOptions) {
  const target = { orgId: 'o-hostile', stream: `s${++streamCounter}` };
  if (path === 'merged into a window that holds events') await replace(target, [EARLIER]);
  const written = await replace(target, lines, options);
  const events = await sql<{ session_id: string | null; user_email: string | null; raw: string; raw_original: string | null }>`
    select session_id, user_email, raw::text as raw, raw_original from fullstory_events where org_id = ${target.orgId} and stream = ${target.stream} order by raw::text`.execute(database.db);
  // Every row's typed columns are what Postgres reads from its raw row, whoever filled them.
  const typedAsRaw = await sql<{ n: string }>`
    select count(*) as n from fullstory_events where org_id = ${target.orgId} and stream = ${target.stream}
      and (${sql.join(TYPED_EVENT_COLUMNS.map(([column]) => sql.ref(column)))}) is distinct from (${sql.join(TYPED_EVENT_COLUMNS.map(([, field]) => sql`nullif(raw->>${field}, '')`))})`.execute(database.db);
  expect(typedAsRaw.rows[0]!.n).toBe('0');
  const rejects = await database.db.selectFrom('fullstory_rejects').select(['reason', 'raw_original']).where('org_id', '=', target.orgId).where('stream', '=', target.stream).orderBy('reason').execute();
  return { written, events: events.rows, rejects, target };
}

const PATHS: LoadPath[] = ['copied straight into an empty window', 'merged into a window that holds events'];

describe.each(PATHS)('a FullStory export file with hostile lines, %s', (path) => {
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
    const { written, events, rejects } = await load(lines, path);

    // The merge also deletes the window's earlier event, which the file no longer holds.
    expect(written).toMatchObject({ received: 9, synced: 6, written: path === 'merged into a window that holds events' ? 7 : 6 });
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
    const failure = await load([`{${AT},"SessionId":1}`, broken], path).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SourceError);
    expect((failure as SourceError).message).toBe('FullStory sent a malformed export file: a line is not JSON');
    const stored = await sql<{ raw: string }>`select raw_original, raw::text as raw from fullstory_events where org_id = 'o-hostile' and stream = ${`s${streamCounter}`}`.execute(database.db);
    expect(stored.rows.map((row) => row.raw)).toEqual(path === 'merged into a window that holds events' ? ['{"UserId": 99, "SessionId": 99, "EventStart": "2026-11-01T10:00:00Z"}'] : []);
  });
});

describe('identical rows and refused rows of a window with no events yet', () => {
  const A = `{${AT},"SessionId":1,"EventType":"click"}`;
  const B = `{${AT},"SessionId":1,"EventType":"load"}`;
  const C = `{${AT},"SessionId":2,"EventType":"click"}`;
  const keys = async (stream: string) => {
    const rows = await sql<{ key: string }>`select raw->>'EventType' || '/' || (raw->>'SessionId') || '#' || occurrence as key from fullstory_events where org_id = 'o-hostile' and stream = ${stream} order by 1`.execute(database.db);
    return rows.rows.map((row) => row.key);
  };

  it('numbers identical rows 1, 2, 3 even when the filter takes every line for a repeat, and a re-export rewrites nothing', async () => {
    // Forty distinct lines fill an 8-bit filter: from then on it believes
    // every line seen, so Postgres numbers every later row after the COPY.
    const distinct = Array.from({ length: 40 }, (_, n) => `{${AT},"SessionId":3,"EventType":"e${n}"}`);
    const lines = [...distinct, A, A, B, C, A, B];
    const { target, written } = await load(lines, 'copied straight into an empty window', { filterBits: 8 });

    expect(written.phaseMs).toHaveProperty('copy');
    const stored = await keys(target.stream);
    expect(stored.filter((key) => !key.endsWith('/3#1'))).toEqual(['click/1#1', 'click/1#2', 'click/1#3', 'click/2#1', 'load/1#1', 'load/1#2']);
    expect(stored).toHaveLength(46);
    const again = await replace(target, lines);
    expect(again).toMatchObject({ received: 46, synced: 46, written: 0 });
  });

  it('loads a file that refuses more rows than it may hold through the staging table instead, with the same rows and rejects', async () => {
    const outside = (n: number) => `{"EventStart":"2026-11-03T00:00:00Z","SessionId":${n}}`;
    const lines = [A, outside(1), A, outside(2), C];
    const held = await load(lines);
    const spilled = await load(lines, 'copied straight into an empty window', { maxHeldRejectChars: 60 });

    expect(held.written.phaseMs).toHaveProperty('copy');
    expect(spilled.written.phaseMs).toHaveProperty('stage');
    expect(spilled.written).toMatchObject({ received: 5, synced: 3, written: 3 });
    expect(await keys(spilled.target.stream)).toEqual(await keys(held.target.stream));
    expect(spilled.rejects).toEqual(held.rejects);
    expect(spilled.rejects.map((reject) => reject.raw_original).sort()).toEqual([outside(1), outside(2)]);
  });

  it('numbers repeats that follow their first copy as they stream, and the rest in Postgres after them, typed from raw', async () => {
    const escaped = (n: number) => `{${AT},"SessionId":${n},"EventType":"odd","UserEmail":"quote\\"d@example.com"}`;
    // A, A: a run numbered as it streams; the later A only Postgres can number.
    // Escaped lines are left to Postgres for their typed columns, every copy.
    const lines = [escaped(1), A, A, escaped(1), escaped(1), escaped(2), B, A];
    const { target, written, events } = await load(lines);

    expect(written).toMatchObject({ received: 8, synced: 8, written: 8 });
    expect(await keys(target.stream)).toEqual(['click/1#1', 'click/1#2', 'click/1#3', 'load/1#1', 'odd/1#1', 'odd/1#2', 'odd/1#3', 'odd/2#1']);
    expect(events.filter((row) => row.raw.includes('odd')).map((row) => row.user_email)).toEqual(Array(4).fill('quote"d@example.com'));
    expect(await replace(target, lines)).toMatchObject({ received: 8, synced: 8, written: 0 });
  });
});
