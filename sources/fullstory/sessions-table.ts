import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../../db/database.js';
import type { SyncWindow } from '../../workflows/sync-contract.js';
import type { StreamTarget } from './staging-table.js';

/** The session columns that come from its events, newest event first where one value is taken. */
const SESSION_COLUMNS = ['session_start', 'session_end', 'page_count', 'event_count', 'entry_url', 'exit_url', 'device', 'browser', 'platform', 'operating_system', 'uid', 'email', 'display_name'] as const;

/**
 * What grouping needs of an event (alias `e`): where its row is, its
 * session, its order and its page. Narrow, so the sort of a window's events
 * is small; the newest and oldest event's other columns are read after
 * grouping, two rows a session (sessionFigures). Collated "C": grouping
 * needs only equality, and byte order lets Postgres sort on abbreviated
 * keys (row_sha256 is lowercase hex, which sorts alike in every collation).
 */
const EVENT_KEYS = sql`e.tableoid as part, e.ctid as tid, e.user_id collate "C" as user_id, e.session_id collate "C" as session_id,
  e.event_start, e.row_sha256 collate "C" as row_sha256, e.page_id`;

/**
 * A session's columns from its events' keys (EVENT_KEYS), grouped by user
 * and session. Its newest event (latest start, then highest row_sha256)
 * gives the exit URL, device, browser, platform, operating system, uid,
 * email and display name, and its oldest the entry URL: both are found by
 * the same sort, and read by row address, with the event's start to prune
 * the partitions at run time.
 */
function sessionFigures(target: StreamTarget, keys: RawBuilder<unknown>): RawBuilder<unknown> {
  const byNewest = (column: string, at: string) => sql.raw(`(array_agg(${column} order by event_start desc, row_sha256 desc))[${at}]`);
  // A subquery run for each session (offset 0 keeps it one), so each reads one row by its
  // address and the event's start prunes the partitions at run time: a join could read them all.
  const event = (alias: string, start: string, part: string, tid: string) => sql`cross join lateral (
      select page_url, user_email, raw from fullstory_events e
      where e.org_id = ${target.orgId} and e.stream = ${target.stream}
        and ${sql.raw(`e.event_start = g.${start} and e.tableoid = g.${part} and e.ctid = g.${tid}`)}
      offset 0
    ) ${sql.raw(alias)}`;
  return sql`
    select g.user_id, g.session_id, g.session_start, g.session_end, g.page_count, g.event_count,
      oldest.page_url as entry_url,
      newest.page_url as exit_url,
      newest.raw->>'PageDevice' as device,
      newest.raw->>'PageBrowser' as browser,
      newest.raw->>'PagePlatform' as platform,
      newest.raw->>'PageOperatingSystem' as operating_system,
      newest.raw->>'UserAppKey' as uid,
      newest.user_email as email,
      newest.raw->>'UserDisplayName' as display_name
    from (
      select user_id, session_id,
        min(event_start) as session_start,
        max(event_start) as session_end,
        count(distinct page_id)::integer as page_count,
        count(*)::integer as event_count,
        ${byNewest('part', '1')} as newest_part, ${byNewest('tid', '1')} as newest_tid,
        ${byNewest('part', 'count(*)')} as oldest_part, ${byNewest('tid', 'count(*)')} as oldest_tid
      from (${keys} offset 0) k
      where user_id is not null and session_id is not null
      group by user_id, session_id
    ) g
    ${event('newest', 'session_end', 'newest_part', 'newest_tid')}
    ${event('oldest', 'session_start', 'oldest_part', 'oldest_tid')}`;
}

const columnList = () => sql.join(SESSION_COLUMNS.map((c) => sql.ref(c)));

/**
 * Orders the session derivations of one stream's loads: each derives its
 * sessions from the events and rows it can see, so two loads of windows
 * that share a session (a backfill beside a scheduled run) must not derive
 * it at once, or the later write keeps only its own window's events.
 * Held until the load commits; the derivation's statements then see the
 * other load's events and rows (test/fullstory-sessions-race.test.ts).
 * Only the end of a load waits: its download, COPY and the grouping of
 * its own window's events run side by side.
 */
async function lockStreamSessions(trx: Transaction<Database>, target: StreamTarget): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext('session-sync fullstory sessions'), hashtext(${`${target.orgId}\u001f${target.stream}`}))`.execute(trx);
}

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
  await lockStreamSessions(trx, target);
  const keys = sql`
    select e.* from ${touchedWithBounds(target, window)}
    cross join lateral (
      select ${EVENT_KEYS} from fullstory_events e
      where e.org_id = ${target.orgId} and e.stream = ${target.stream} and e.user_id = t.user_id and e.session_id = t.session_id
        and e.event_start >= t.first_at and e.event_start < t.end_at
      -- Kept a subquery run for each session (not joined with every partition at once), so its
      -- bounds choose the partitions it reads when it runs.
      offset 0
    ) e`;
  await sql`
    insert into fullstory_sessions (org_id, stream, user_id, session_id, ${columnList()})
    select ${target.orgId}, ${target.stream}, user_id, session_id, ${columnList()} from (${sessionFigures(target, keys)}) derived
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
 * Which sessions have a row is what the insert finds (its conflicts), so
 * the table is probed once, not looked at first and written after.
 */
export async function deriveSessionsOfNewWindow(trx: Transaction<Database>, target: StreamTarget, window: SyncWindow): Promise<void> {
  const keys = sql`
    select ${EVENT_KEYS} from fullstory_events e
    where e.org_id = ${target.orgId} and e.stream = ${target.stream} and e.event_start >= ${new Date(window.start)} and e.event_start < ${new Date(window.end)}`;
  // The window's rows were just written, so Postgres has no statistics of
  // them and would read them by index, in key order, at random in the heap:
  // a bitmap scan reads them in the heap's order.
  await sql`set local enable_indexscan = off`.execute(trx);
  await sql`create temp table fullstory_window_sessions on commit drop as ${sessionFigures(target, keys)}`.execute(trx);
  await sql`set local enable_indexscan = on`.execute(trx);
  // The figures above are of this load's own events alone: only what reads or writes the table waits.
  await lockStreamSessions(trx, target);
  await sql`create temp table fullstory_touched on commit drop as select user_id, session_id from fullstory_window_sessions with no data`.execute(trx);
  // The sessions that already have a row conflict here, and are derived in full next.
  await sql`
    with inserted as (
      insert into fullstory_sessions (org_id, stream, user_id, session_id, ${columnList()})
      select ${target.orgId}, ${target.stream}, user_id, session_id, ${columnList()} from fullstory_window_sessions
      on conflict (org_id, stream, user_id, session_id) do nothing
      returning user_id, session_id
    )
    insert into fullstory_touched
    select user_id, session_id from fullstory_window_sessions w
    where not exists (select 1 from inserted i where i.user_id = w.user_id and i.session_id = w.session_id)
  `.execute(trx);
  await refreshTouchedSessions(trx, target, window);
}
