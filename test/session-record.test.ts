import { describe, expect, it } from 'vitest';
import { parseSessionRecord } from '../sources/fullsession/session-record.js';

const START = Date.UTC(2026, 5, 1, 12);

describe('parsing one FullSession session', () => {
  it('accepts the documented spellings: id, timestamp, ISO times and duration-derived end', () => {
    const parsed = parseSessionRecord({ id: 42, timestamp: new Date(START).toISOString(), duration: 90_000, user: 'u-1', pages: [{}, {}] });
    expect(parsed).toEqual({
      ok: true,
      record: expect.objectContaining({ sessionId: '42', startTime: START, endTime: START + 90_000, durationMs: 90_000, userId: 'u-1', pageCount: 2 }),
    });
  });

  it('prefers uuid and endTime, and keeps unknown fields in the payload', () => {
    const raw = { uuid: 'abc', id: 'ignored', startTime: START, endTime: START + 5, duration: 999, brandNewField: { a: 1 } };
    const parsed = parseSessionRecord(raw);
    expect(parsed.ok && parsed.record).toMatchObject({ sessionId: 'abc', endTime: START + 5, payload: raw });
  });

  it.each([
    [{ startTime: START, endTime: START }, null, 'session has no uuid or id'],
    [{ uuid: 'x', startTime: 'soon', endTime: START }, 'x', 'session has no parseable startTime or timestamp'],
    [{ uuid: 'x', startTime: 1_700_000, endTime: START }, 'x', 'session has no parseable startTime or timestamp'],
    [{ uuid: 'x', startTime: START }, 'x', 'session has no parseable endTime or duration'],
    [{ uuid: 'x', startTime: START, endTime: START - 1 }, 'x', 'session ends before it starts'],
    ['just a string', null, 'session is not a JSON object'],
  ])('rejects %j with a reason', (raw, sessionId, reason) => {
    expect(parseSessionRecord(raw)).toEqual({ ok: false, reject: { sessionId, reason, raw } });
  });
});
