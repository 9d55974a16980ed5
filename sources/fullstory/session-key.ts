/**
 * How far before an event its session's key may lie. FullStory ends a
 * session after 24 hours of capture; the rest is slack for late clocks.
 * migrations/20261211000000_partitioned_fullstory_sessions.ts holds the
 * same rule in SQL (fullstory_session_started_at): change both or neither.
 */
export const SESSION_KEY_REACH_MS = 2 * 86_400_000;

const DAY_MS = 86_400_000;
const EXACT_INSTANT = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,3})?Z$/;

/**
 * The key of an event's session row (fullstory_sessions.started_at): the
 * session's start as the event exports it (`SessionStart`), when that is an
 * exact instant at most SESSION_KEY_REACH_MS before the event and not after
 * it; else the start of the event's UTC day. Every event of a session then
 * lies within the reach after its key, which is what lets a late event
 * find its session's row in one partition, and readers bound the key by
 * the session's end. Events of one session that disagree on its start make
 * one row for each start.
 *
 * @example sessionStartedAt('2026-12-01T23:59:00Z', Date.parse('2026-12-02T00:10:00Z')) // Date.parse('2026-12-01T23:59:00Z')
 */
export function sessionStartedAt(sessionStart: string | null, eventStartMs: number): number {
  if (sessionStart !== null && EXACT_INSTANT.test(sessionStart)) {
    const at = Date.parse(sessionStart);
    // Date.parse rolls a day the month does not have (02-30) over; Postgres refuses it.
    const real = new Date(at).toISOString().slice(0, 19) === sessionStart.slice(0, 19);
    if (real && at <= eventStartMs && at >= eventStartMs - SESSION_KEY_REACH_MS) return at;
  }
  return Math.floor(eventStartMs / DAY_MS) * DAY_MS;
}
