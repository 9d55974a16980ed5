import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { SiteConfig } from '../config/site-config.js';
import type { Database } from '../db/database.js';
import { sessionsEndedIn } from '../sources/fullsession/longest-sessions.js';
import { fullStorySessionsEndedIn } from '../sources/fullstory/sessions-ended-in.js';

/** One session as every face shows it, FullSession's and FullStory's alike. */
export interface SessionSummary {
  sessionId: string;
  source: string;
  siteId: string;
  startedAt: string;
  endedAt: string;
  userId: string | null;
  email: string | null;
  entryUrl: string | null;
  device: string | null;
  browser: string | null;
  country: string | null;
}

export interface SessionFilters {
  userContains?: string;
  emailContains?: string;
  urlContains?: string;
}

/** Where the next page starts: after this end time and id (keyset paging, so pages never skip or repeat). */
export interface SessionCursor {
  endMs: number;
  id: string;
}

export type GroupBy = 'day' | 'hour' | 'device' | 'browser' | 'country';

/**
 * A FullStory session is named by its user and session ids together (its
 * session id alone is unique only per user), as FullStory's own session
 * links do. Ordered by its bytes (collation "C"), as byBytes orders it:
 * a page is merged from two queries (fullStoryPage).
 */
const FULLSTORY_ID = sql<string>`(user_id || ':' || session_id) collate "C"`;

/** Strings in the order of collation "C" in a UTF-8 database: by their UTF-8 bytes. */
function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * The sessions of a site that ENDED in [from, to), in end-time order then by
 * id, `limit` of them after `cursor`, plus whether there are more. Filters
 * match literally (strpos on lower case: `%` and `_` are characters, no
 * pattern), all parameters bound.
 */
export async function searchSessions(db: Kysely<Database>, site: SiteConfig, range: { from: number; to: number }, filters: SessionFilters, limit: number, cursor: SessionCursor | null): Promise<{ sessions: SessionSummary[]; more: boolean }> {
  const rows = site.source === 'fullstory' ? await fullStoryPage(db, site, range, filters, limit + 1, cursor) : await fullSessionPage(db, site, range, filters, limit + 1, cursor);
  return { sessions: rows.slice(0, limit), more: rows.length > limit };
}

/** A literal, case-insensitive "contains" on a column (or expression). */
function contains(column: ReturnType<typeof sql>, text: string) {
  return sql<boolean>`strpos(lower(${column}), lower(${text})) > 0`;
}

async function fullSessionPage(db: Kysely<Database>, site: SiteConfig, range: { from: number; to: number }, filters: SessionFilters, limit: number, cursor: SessionCursor | null): Promise<SessionSummary[]> {
  let query = (await sessionsEndedIn(db, site, range)).select(['session_id', 'start_time', 'end_time', 'user_id', 'landing_page', 'device', 'browser', 'country']);
  if (cursor) query = query.where(sql<boolean>`(end_time, session_id) > (${new Date(cursor.endMs)}, ${cursor.id})`);
  if (filters.userContains !== undefined) query = query.where(contains(sql.ref('user_id'), filters.userContains));
  // FullSession sessions carry no email: an email filter matches none of them.
  if (filters.emailContains !== undefined) query = query.where(sql<boolean>`false`);
  if (filters.urlContains !== undefined) query = query.where((eb) => eb.or([contains(sql.ref('landing_page'), filters.urlContains!), contains(sql.ref('exit_page'), filters.urlContains!)]));
  const rows = await query.orderBy('end_time').orderBy('session_id').limit(limit).execute();
  return rows.map((row) => ({
    sessionId: row.session_id,
    source: 'fullsession',
    siteId: site.siteId,
    startedAt: row.start_time.toISOString(),
    endedAt: row.end_time.toISOString(),
    userId: row.user_id,
    email: null,
    entryUrl: row.landing_page,
    device: row.device,
    browser: row.browser,
    country: row.country,
  }));
}

async function fullStoryPage(db: Kysely<Database>, site: SiteConfig, range: { from: number; to: number }, filters: SessionFilters, limit: number, cursor: SessionCursor | null): Promise<SessionSummary[]> {
  // The keyed sessions' page and the kept ones' (sessions-ended-in.ts), merged.
  const pages = await Promise.all(
    fullStorySessionsEndedIn(db, { orgId: site.customerId, stream: site.siteId }, range).map((ended) => {
      let query = ended.select(['user_id', 'session_id', 'session_start', 'session_end', 'uid', 'email', 'entry_url', 'device', 'browser', FULLSTORY_ID.as('id')]);
      if (cursor) query = query.where(sql<boolean>`(session_end, ${FULLSTORY_ID}) > (${new Date(cursor.endMs)}, ${cursor.id})`);
      if (filters.userContains !== undefined) query = query.where(contains(sql`coalesce(uid, user_id)`, filters.userContains));
      if (filters.emailContains !== undefined) query = query.where(contains(sql.ref('email'), filters.emailContains));
      if (filters.urlContains !== undefined) query = query.where(contains(sql.ref('entry_url'), filters.urlContains));
      return query.orderBy('session_end').orderBy(FULLSTORY_ID).limit(limit).execute();
    }),
  );
  const rows = pages.flat().sort((a, b) => a.session_end.getTime() - b.session_end.getTime() || byBytes(a.id, b.id)).slice(0, limit);
  return rows.map((row) => ({
    sessionId: row.id,
    source: 'fullstory',
    siteId: site.siteId,
    startedAt: row.session_start.toISOString(),
    endedAt: row.session_end.toISOString(),
    userId: row.uid ?? row.user_id,
    email: row.email,
    entryUrl: row.entry_url,
    device: row.device,
    browser: row.browser,
    country: null,
  }));
}

/**
 * One stored session with its raw payload (FullSession), or with its events
 * (FullStory), at most `eventLimit` of them after `eventCursor` (an index
 * into the session's events in time order), with their total.
 */
export async function getSession(db: Kysely<Database>, site: SiteConfig, sessionId: string, eventLimit: number, eventOffset: number): Promise<Record<string, unknown> | null> {
  if (site.source !== 'fullstory') {
    const row = await db
      .selectFrom('fullsession_sessions')
      .select(['session_id', 'start_time', 'end_time', 'user_id', 'landing_page', 'exit_page', 'device', 'browser', 'country', 'page_count', 'payload'])
      .where('customer_id', '=', site.customerId)
      .where('site_id', '=', site.siteId)
      .where('session_id', '=', sessionId)
      .executeTakeFirst();
    if (!row) return null;
    return { sessionId: row.session_id, source: 'fullsession', siteId: site.siteId, startedAt: row.start_time.toISOString(), endedAt: row.end_time.toISOString(), userId: row.user_id, entryUrl: row.landing_page, exitUrl: row.exit_page, device: row.device, browser: row.browser, country: row.country, pageCount: row.page_count, payload: row.payload };
  }
  const [userId, id] = splitFullStoryId(sessionId);
  if (userId === null) return null;
  // One probe of each partition's key. Events that disagreed on their session's start make a row
  // for each start (sources/fullstory/session-key.ts): the first is shown.
  const session = await db.selectFrom('fullstory_sessions').selectAll().where('org_id', '=', site.customerId).where('stream', '=', site.siteId).where('user_id', '=', userId).where('session_id', '=', id).orderBy('started_at').executeTakeFirst();
  if (!session) return null;
  // Its events lie between its first and last (the session row is derived from them in the same
  // transaction): saying so lets Postgres read only the partitions of that time.
  const ofSession = db
    .selectFrom('fullstory_events')
    .where('org_id', '=', site.customerId)
    .where('stream', '=', site.siteId)
    .where('event_start', '>=', session.session_start)
    .where('event_start', '<=', session.session_end)
    .where('user_id', '=', userId)
    .where('session_id', '=', id);
  const [events, total] = await Promise.all([
    ofSession.select(sql<string>`raw::text`.as('raw')).orderBy('event_start').orderBy('row_sha256').orderBy('occurrence').offset(eventOffset).limit(eventLimit).execute(),
    ofSession.select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow(),
  ]);
  return {
    sessionId,
    source: 'fullstory',
    siteId: site.siteId,
    startedAt: session.session_start.toISOString(),
    endedAt: session.session_end.toISOString(),
    userId: session.uid ?? session.user_id,
    email: session.email,
    displayName: session.display_name,
    entryUrl: session.entry_url,
    exitUrl: session.exit_url,
    device: session.device,
    browser: session.browser,
    pageCount: session.page_count,
    eventCount: session.event_count,
    // Raw text, so ids beyond 2^53 stay exact: the client parses what it needs.
    events: events.map((event) => event.raw),
    eventsTotal: Number(total.n),
    ...(eventOffset + events.length < Number(total.n) ? { eventsCursor: String(eventOffset + events.length) } : {}),
  };
}

function splitFullStoryId(sessionId: string): [string, string] | [null, null] {
  const at = sessionId.indexOf(':');
  return at > 0 && at < sessionId.length - 1 ? [sessionId.slice(0, at), sessionId.slice(at + 1)] : [null, null];
}

/** The keyed sessions and the kept ones (sessions-ended-in.ts), counted together: a count reads every row of the range anyway. */
async function countFullStorySessions(db: Kysely<Database>, site: SiteConfig, range: { from: number; to: number }, key: RawBuilder<string>): Promise<Array<{ key: string; n: string }>> {
  const [keyed, kept] = fullStorySessionsEndedIn(db, { orgId: site.customerId, stream: site.siteId }, range);
  const keys = keyed.select(key.as('key')).unionAll(kept.select(key.as('key')));
  return db.selectFrom(keys.as('ended')).select(['key', sql<string>`count(*)`.as('n')]).groupBy('key').orderBy('key').execute();
}

async function countFullSessionSessions(db: Kysely<Database>, site: SiteConfig, range: { from: number; to: number }, key: RawBuilder<string>): Promise<Array<{ key: string; n: string }>> {
  return (await sessionsEndedIn(db, site, range)).select([key.as('key'), sql<string>`count(*)`.as('n')]).groupBy('key').orderBy('key').execute();
}

/** Sessions that ended in [from, to), counted by UTC day or hour, or by device, browser or country (null: `unknown`). */
export async function countSessions(db: Kysely<Database>, site: SiteConfig, range: { from: number; to: number }, groupBy: GroupBy): Promise<Array<{ key: string; count: number }>> {
  const fullStory = site.source === 'fullstory';
  const end = sql.ref(fullStory ? 'session_end' : 'end_time');
  const key = {
    day: sql<string>`to_char(${end} at time zone 'UTC', 'YYYY-MM-DD')`,
    hour: sql<string>`to_char(${end} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:00:00"Z"')`,
    device: sql<string>`coalesce(device, 'unknown')`,
    browser: sql<string>`coalesce(browser, 'unknown')`,
    country: fullStory ? sql<string>`'unknown'` : sql<string>`coalesce(country, 'unknown')`,
  }[groupBy];
  const rows = fullStory
    ? await countFullStorySessions(db, site, range, key)
    : await countFullSessionSessions(db, site, range, key);
  return rows.map((row) => ({ key: row.key, count: Number(row.n) }));
}
