import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitUnit } from '../activities/commit-unit.js';
import { loadCheckpoint, type CheckpointKey } from '../db/checkpoints-repository.js';
import { startRun } from '../db/runs-repository.js';
import { FULLSESSION_SESSIONS_TABLE, SitePartitions } from '../db/site-partitions.js';
import { boundedJsonText } from '../db/storable-values.js';
import { pageUnit } from '../sources/fullsession/page-unit.js';
import { parseSessionRecord, type FullSessionRecord } from '../sources/fullsession/session-record.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const CUSTOMER = 'hostile';
const START = Date.UTC(2026, 5, 1, 12);
/** The window of every page: its query's startTime is its start (no lookback). */
const WINDOW = { start: Date.UTC(2026, 5, 1), end: Date.UTC(2026, 5, 3) };

let database: TestDatabase;
let runId: string;
let siteCounter = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  runId = await startRun(database.db, { workflowId: 'property', firstRunId: 'property', kind: 'backfill', source: 'fullsession', customerId: CUSTOMER, siteId: 'any', rangeStart: WINDOW.start, rangeEnd: WINDOW.end, windowsTotal: 1 });
});

afterAll(async () => {
  await database?.drop();
});

/** Commits `records` as the only page of a fresh site's window through the real page transaction. */
async function commitAsPage(records: unknown[]): Promise<string> {
  const siteId = `site-${++siteCounter}`;
  const key: CheckpointKey = { source: 'fullsession', customerId: CUSTOMER, siteId, windowStart: WINDOW.start, windowEnd: WINDOW.end, lookbackMs: 0 };
  const checkpoint = await loadCheckpoint(database.db, key);
  await new SitePartitions(database.db).ensure(FULLSESSION_SESSIONS_TABLE, { customerId: CUSTOMER, siteId }, '1mo', WINDOW);
  await commitUnit(database.db, key, checkpoint, pageUnit({ customerId: CUSTOMER, siteId }, WINDOW, { sessions: records, nextCursor: undefined }, WINDOW.start), { runId, requests: 1 });
  return siteId;
}

async function storedOf(siteId: string) {
  const sessions = await database.db.selectFrom('fullsession_sessions').select(['session_id', 'referrer', 'duration_ms', 'payload', 'payload_original']).where('site_id', '=', siteId).execute();
  const rejects = await database.db.selectFrom('fullsession_rejects').select(['session_id', 'reason', 'raw', 'raw_original']).where('site_id', '=', siteId).execute();
  return { sessions, rejects };
}

function nestedArrays(depth: number): unknown {
  let value: unknown = [];
  for (let i = 1; i < depth; i++) value = [value];
  return value;
}

const valid = (fields: Record<string, unknown>) => ({ uuid: 'ok-1', startTime: START, endTime: START + 60_000, ...fields });

describe('one page of hostile records: every record lands or is rejected, and the page commits', () => {
  it.each([
    ['a NUL in a referrer', valid({ uuid: 'nul', referrer: 'x\u0000y' })],
    ['a lone surrogate', valid({ uuid: 'surrogate', city: 'M\ud800nchen', ['k\udc00ey']: 1 })],
    ['a duration out of range for bigint', valid({ uuid: 'huge', duration: 1e23, activeTime: 1e23 })],
    ['a start time past year 9999', { uuid: 'far', startTime: 1e23, endTime: 1e23 }],
    ['a session id longer than a btree row', valid({ uuid: 'x'.repeat(3000) })],
    ['nesting 5,000 levels deep', valid({ uuid: 'deep', custom: nestedArrays(5_000) })],
  ])('%s', async (_case, hostile) => {
    const neighbour = valid({ uuid: 'neighbour', referrer: 'https://example.com' });
    const siteId = await commitAsPage([hostile, neighbour]);
    const { sessions, rejects } = await storedOf(siteId);
    expect(sessions.map((s) => s.session_id)).toContain('neighbour');
    expect(sessions.length + rejects.length).toBe(2);
  });

  it('keeps what jsonb cannot hold recoverable: U+FFFD in the columns, the exact original as JSON text', async () => {
    const hostile = valid({ uuid: 'a\u0000b', referrer: 'x\u0000y', city: 'M\ud800nchen', ['k\udc00ey']: ['\u0000'] });
    const siteId = await commitAsPage([hostile]);
    const { sessions } = await storedOf(siteId);
    expect(sessions).toHaveLength(1);
    const [row] = sessions;
    expect(row?.session_id).toBe('a\uFFFDb');
    expect(row?.referrer).toBe('x\uFFFDy');
    expect(row?.payload).toMatchObject({ city: 'M\uFFFDnchen', ['k\uFFFDey']: ['\uFFFD'] });
    expect(JSON.parse(row?.payload_original ?? 'null')).toEqual(hostile);
  });

  it('names the reason of each reject, and cuts a deep raw value instead of overflowing', async () => {
    const siteId = await commitAsPage([valid({ uuid: 'x'.repeat(3000) }), valid({ uuid: 'deep', custom: nestedArrays(5_000) }), valid({ uuid: 'huge', duration: 1e23 })]);
    const { sessions, rejects } = await storedOf(siteId);
    expect(rejects.map((r) => r.reason).sort()).toEqual(['session id is longer than 512 characters', 'session nests deeper than 64 levels']);
    expect(JSON.stringify(rejects.find((r) => r.session_id === 'deep')?.raw)).toContain('nested deeper than 64 levels; cut here');
    // A duration no bigint holds is left out of its column, and kept in the payload.
    expect(sessions).toEqual([expect.objectContaining({ session_id: 'huge', duration_ms: null, payload: expect.objectContaining({ duration: 1e23 }) })]);
  });

  it('refuses, with its reason, a session the window owns that started before the query (the API filters on start): it has no partition', async () => {
    const siteId = await commitAsPage([valid({ uuid: 'early', startTime: WINDOW.start - 1 }), valid({ uuid: 'on-time' })]);
    const { sessions, rejects } = await storedOf(siteId);
    expect(sessions.map((row) => row.session_id)).toEqual(['on-time']);
    expect(rejects.map((row) => [row.session_id, row.reason])).toEqual([['early', "session starts before the query's startTime 2026-06-01T00:00:00.000Z, which the API filters on"]]);
  });

  it('holds for any JSON an API could send', async () => {
    const hostileText = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.constantFrom('\u0000', 'x\u0000y', '\ud800', 'a\udc00b', '\udbff\u0000', 'x'.repeat(3_000), '__proto__', '2026-06-01T12:00:00Z'),
    );
    const hostileNumber = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(1e23, -1, 2 ** 53 + 2, 1e308, 0));
    const time = fc.oneof(fc.integer({ min: START, max: START + 86_400_000 }), hostileNumber, hostileText);
    const anyValue = fc.oneof(hostileText, hostileNumber, fc.jsonValue({ maxDepth: 3 }), fc.integer({ min: 60, max: 3_000 }).map(nestedArrays));
    const session = fc.record(
      {
        uuid: fc.oneof(fc.constantFrom('s-1', 's-2', 's-3'), hostileText, hostileNumber),
        id: fc.oneof(hostileText, hostileNumber),
        startTime: time,
        endTime: time,
        duration: fc.oneof(fc.nat({ max: 14_400_000 }), hostileNumber, hostileText),
        activeTime: hostileNumber,
        referrer: fc.oneof(hostileText, anyValue),
        city: hostileText,
        pages: fc.oneof(fc.array(anyValue, { maxLength: 3 }), anyValue),
        extra: fc.dictionary(hostileText, anyValue, { maxKeys: 3 }),
      },
      { requiredKeys: [] },
    );
    const page = fc.array(fc.oneof({ weight: 4, arbitrary: session }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }), { maxLength: 12 });

    await fc.assert(
      fc.asyncProperty(page, async (records) => {
        const siteId = await commitAsPage(records);
        const { sessions, rejects } = await storedOf(siteId);
        const parsed = records.map(parseSessionRecord);
        // The window owns a session that ended in it; one that started before its query is refused with a reason.
        const owned = (record: FullSessionRecord) => record.endTime >= WINDOW.start && record.endTime < WINDOW.end;
        const landed = new Map(parsed.flatMap((p, i) => (p.ok && owned(p.record) && p.record.startTime >= WINDOW.start ? [[p.record.sessionId, records[i]] as const] : [])));
        const refused = parsed.flatMap((p, i) => (!p.ok ? [p.reject.raw ?? null] : owned(p.record) && p.record.startTime < WINDOW.start ? [records[i]] : []));
        expect(new Set(sessions.map((s) => s.session_id))).toEqual(new Set(landed.keys()));
        expect(rejects).toHaveLength(new Set(refused.map(boundedJsonText)).size);
        for (const row of sessions) {
          // The stored session gives back exactly what the API sent (the last of a duplicated id).
          const received = JSON.parse(JSON.stringify(landed.get(row.session_id)));
          expect(row.payload_original === null ? row.payload : JSON.parse(row.payload_original)).toEqual(received);
        }
      }),
      { numRuns: 150 },
    );
  });
});
