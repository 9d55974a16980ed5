import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../../db/database.js';
import type { SyncWindow } from '../../workflows/sync-contract.js';
import type { StreamTarget } from './staging-table.js';

/** The session columns that come from its events, newest event first where one value is taken. */
const SESSION_COLUMNS = ['session_start', 'session_end', 'page_count', 'event_count', 'entry_url', 'exit_url', 'device', 'browser', 'platform', 'operating_system', 'uid', 'email', 'display_name'] as const;

/** What the figures need of an event (alias `e`), taken out of `raw` before any sort so no sort carries the raw row. */
const EVENT_FACTS = sql`e.user_id, e.session_id, e.event_start, e.row_sha256, e.page_id, e.page_url, e.user_email,
  e.raw->>'PageDevice' as device, e.raw->>'PageBrowser' as browser, e.raw->>'PagePlatform' as platform,
  e.raw->>'PageOperatingSystem' as operating_system, e.raw->>'UserAppKey' as uid, e.raw->>'UserDisplayName' as display_name`;

/**
 * A session's columns from its events' facts, grouped by user and session.
 * Every ordered aggregate takes the same order, newest event first (the
 * entry URL is the last of it), so Postgres sorts the events once.
 */
function sessionFigures(facts: RawBuilder<unknown>): RawBuilder<unknown> {
  const newest = (column: string) => sql.raw(`(array_agg(${column} order by event_start desc, row_sha256 desc))[1]`);
  return sql`
    select user_id, session_id,
      min(event_start) as session_start,
      max(event_start) as session_end,
      count(distinct page_id)::integer as page_count,
      count(*)::integer as event_count,
      (array_agg(page_url order by event_start desc, row_sha256 desc))[count(*)] as entry_url,
      ${newest('page_url')} as exit_url,
      ${newest('device')} as device,
      ${newest('browser')} as browser,
      ${newest('platform')} as platform,
      ${newest('operating_system')} as operating_system,
      ${newest('uid')} as uid,
      ${newest('user_email')} as email,
      ${newest('display_name')} as display_name
    from (${facts} offset 0) facts
    where user_id is not null and session_id is not null
    group by user_id, session_id`;
}

const columnList = () => sql.join(SESSION_COLUMNS.map((c) => sql.ref(c)));

/**
 * Brings fullstory_sessions in line with fullstory_events for the sessions
 * whose events the current load inserted or deleted (`fullstory_touched`),
 * in the load's transaction: each such session is derived again from all
 * its events, in every window; one left with no events is deleted. A
 * session whose figures did not change is not rewritten.
 *
 * A session's events are looked for only between its first and last as
 * its row says (derived from all of them before this load) and in the
 * window loaded now (where this load's own rows are): Postgres then reads
 * the session index of those partitions alone, not of every day the site
 * has kept (test/partitions.test.ts shows it with EXPLAIN ANALYZE).
 */
export async function refreshTouchedSessions(trx: Transaction<Database>, target: StreamTarget, window: SyncWindow): Promise<void> {
  const facts = sql`
    select ${EVENT_FACTS} from ${touchedWithBounds(target, window)}
    cross join lateral (
      select * from fullstory_events e
      where e.org_id = ${target.orgId} and e.stream = ${target.stream} and e.user_id = t.user_id and e.session_id = t.session_id
        and e.event_start >= t.first_at and e.event_start < t.end_at
      -- Kept a subquery run for each session (not joined with every partition at once), so its
      -- bounds choose the partitions it reads when it runs.
      offset 0
    ) e`;
  await sql`
    insert into fullstory_sessions (org_id, stream, user_id, session_id, ${columnList()})
    select ${target.orgId}, ${target.stream}, user_id, session_id, ${columnList()} from (${sessionFigures(facts)}) derived
    on conflict (org_id, stream, user_id, session_id) do update set
      ${sql.join(SESSION_COLUMNS.map((c) => sql`${sql.ref(c)} = excluded.${sql.ref(c)}`))}, updated_at = now()
    where (${sql.join(SESSION_COLUMNS.map((c) => sql.ref(`fullstory_sessions.${c}`)))}) is distinct from (${sql.join(SESSION_COLUMNS.map((c) => sql.ref(`excluded.${c}`)))})
  `.execute(trx);
  await sql`
    delete from fullstory_sessions s using ${touchedWithBounds(target, window)}
    where s.org_id = ${target.orgId} and s.stream = ${target.stream} and s.user_id = t.user_id and s.session_id = t.session_id
      and not exists (
        select 1 from fullstory_events e
        where e.org_id = s.org_id and e.stream = s.stream and e.user_id = s.user_id and e.session_id = s.session_id
          and e.event_start >= t.first_at and e.event_start < t.end_at
        offset 0
      )
  `.execute(trx);
}

/**
 * The touched sessions (`t`), each with where its events can lie: from
 * the earlier of its first event and the window's start to after the later
 * of its last event and the window's end. Read before the session's row is
 * rewritten, in the statement that uses it.
 */
function touchedWithBounds(target: StreamTarget, window: SyncWindow): RawBuilder<unknown> {
  const [start, end] = [new Date(window.start), new Date(window.end)];
  return sql`(
    select t.user_id, t.session_id,
      least(coalesce(s.session_start, ${start}::timestamptz), ${start}::timestamptz) as first_at,
      greatest(coalesce(s.session_end + interval '1 microsecond', ${end}::timestamptz), ${end}::timestamptz) as end_at
    from (select distinct user_id, session_id from fullstory_touched) t
    left join fullstory_sessions s on s.org_id = ${target.orgId} and s.stream = ${target.stream} and s.user_id = t.user_id and s.session_id = t.session_id
  ) t`;
}

/**
 * The sessions of a window that had no events before this load, from one
 * read of the window's events: a session seen nowhere else is inserted
 * with the window's figures; one that already had events in other windows
 * (it has a row) is derived again from all of them by refreshTouchedSessions.
 */
export async function deriveSessionsOfNewWindow(trx: Transaction<Database>, target: StreamTarget, window: SyncWindow): Promise<void> {
  const facts = sql`
    select ${EVENT_FACTS} from fullstory_events e
    where e.org_id = ${target.orgId} and e.stream = ${target.stream} and e.event_start >= ${new Date(window.start)} and e.event_start < ${new Date(window.end)}`;
  // The window's rows were just written, so Postgres has no statistics of
  // them and would read them by index, in key order, at random in the heap:
  // a bitmap scan reads them in the heap's order.
  await sql`set local enable_indexscan = off`.execute(trx);
  await sql`create temp table fullstory_window_sessions on commit drop as ${sessionFigures(facts)}`.execute(trx);
  await sql`set local enable_indexscan = on`.execute(trx);
  await sql`
    create temp table fullstory_touched on commit drop as
    select user_id, session_id from fullstory_window_sessions w
    where exists (select 1 from fullstory_sessions s where s.org_id = ${target.orgId} and s.stream = ${target.stream} and s.user_id = w.user_id and s.session_id = w.session_id)
  `.execute(trx);
  // The sessions noted as touched conflict here, and are derived in full next.
  await sql`
    insert into fullstory_sessions (org_id, stream, user_id, session_id, ${columnList()})
    select ${target.orgId}, ${target.stream}, user_id, session_id, ${columnList()} from fullstory_window_sessions
    on conflict (org_id, stream, user_id, session_id) do nothing
  `.execute(trx);
  await refreshTouchedSessions(trx, target, window);
}
