import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../../db/database.js';
import type { SyncWindow } from '../../workflows/sync-contract.js';
import { SESSION_KEY_REACH_MS } from './session-key.js';
import type { StreamTarget } from './staging-table.js';
import { sessionKeyOf } from './typed-event-columns.js';

/** The session columns that come from its events, newest event first where one value is taken. */
const SESSION_COLUMNS = ['session_start', 'session_end', 'page_count', 'event_count', 'entry_url', 'exit_url', 'device', 'browser', 'platform', 'operating_system', 'uid', 'email', 'display_name'] as const;

/**
 * The key of a stored event's session (alias `e`): kept by the load that
 * stored it, or read from `raw` where a release before kept none.
 */
const EVENT_SESSION_KEY = sql`coalesce(e.session_started_at, ${sessionKeyOf(sql`e.raw`, sql`e.event_start`)})`;

/** How far after its key a session's events may lie, as SQL. */
const REACH = sql`${sql.lit(`${SESSION_KEY_REACH_MS / 1000} seconds`)}::interval`;

/**
 * What grouping needs of an event (alias `e`): where its row is, its
 * session and its key, its order and its page. Narrow, so the sort of a window's events
 * is small; the newest and oldest event's other columns are read after
 * grouping, two rows a session (sessionFigures). Collated "C": grouping
 * needs only equality, and byte order lets Postgres sort on abbreviated
 * keys (row_sha256 is lowercase hex, which sorts alike in every collation).
 */
const EVENT_KEYS = sql`e.tableoid as part, e.ctid as tid, e.user_id collate "C" as user_id, e.session_id collate "C" as session_id,
  ${EVENT_SESSION_KEY} as started_at, e.event_start, e.row_sha256 collate "C" as row_sha256, e.page_id`;

/**
 * A session's columns from its events' keys (EVENT_KEYS), grouped by user,
 * session and key. Its newest event (latest start, then highest row_sha256)
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
    select g.user_id, g.session_id, g.started_at, g.session_start, g.session_end, g.page_count, g.event_count,
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
      select user_id, session_id, started_at,
        min(event_start) as session_start,
        max(event_start) as session_end,
        count(distinct page_id)::integer as page_count,
        count(*)::integer as event_count,
        ${byNewest('part', '1')} as newest_part, ${byNewest('tid', '1')} as newest_tid,
        ${byNewest('part', 'count(*)')} as oldest_part, ${byNewest('tid', 'count(*)')} as oldest_tid
      from (${keys} offset 0) k
      where user_id is not null and session_id is not null
      group by user_id, session_id, started_at
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

/** A session row's key: its user, session and start (session-key.ts). */
const KEY = sql`user_id, session_id, started_at`;

/**
 * Brings fullstory_sessions in line with fullstory_events for the sessions
 * whose events the current load inserted or deleted (`fullstory_touched`,
 * by key), in the load's transaction: each such session is derived again
 * from all its events, in every window; one left with no events is
 * deleted. A session whose figures did not change is not rewritten.
 *
 * A session's events are looked for only where they can lie
 * (touchedWithBounds): Postgres then reads the session index of those
 * partitions alone, not of every day the site has kept
 * (test/partitions.test.ts shows it with EXPLAIN ANALYZE).
 */
export async function refreshTouchedSessions(trx: Transaction<Database>, target: StreamTarget, window: SyncWindow): Promise<void> {
  await lockStreamSessions(trx, target);
  await replaceKeptRows(trx, target);
  const keys = sql`
    select e.* from ${touchedWithBounds(target, window)}
    cross join lateral (
      select ${EVENT_KEYS} from fullstory_events e
      where e.org_id = ${target.orgId} and e.stream = ${target.stream} and e.user_id = t.user_id and e.session_id = t.session_id
        and e.event_start >= t.first_at and e.event_start <= t.last_at and ${EVENT_SESSION_KEY} = t.started_at
      -- Kept a subquery run for each session (not joined with every partition at once), so its
      -- bounds choose the partitions it reads when it runs.
      offset 0
    ) e`;
  await sql`
    insert into fullstory_sessions (org_id, stream, ${KEY}, ${columnList()})
    select ${target.orgId}, ${target.stream}, ${KEY}, ${columnList()} from (${sessionFigures(target, keys)}) derived
    on conflict (org_id, stream, ${KEY}) do update set
      ${sql.join(SESSION_COLUMNS.map((c) => sql`${sql.ref(c)} = excluded.${sql.ref(c)}`))}, updated_at = now()
    where (${sql.join(SESSION_COLUMNS.map((c) => sql.ref(`fullstory_sessions.${c}`)))}) is distinct from (${sql.join(SESSION_COLUMNS.map((c) => sql.ref(`excluded.${c}`)))})
  `.execute(trx);
  await deleteSessionsLeftEmpty(trx, target, window);
}

/**
 * Deletes the touched sessions that have no events left (a re-export that
 * no longer holds them). Found first, then deleted by their keys as
 * constants, so the delete reads the partitions of those keys alone (a
 * join with the touched sessions would read every partition of the site).
 */
async function deleteSessionsLeftEmpty(trx: Transaction<Database>, target: StreamTarget, window: SyncWindow): Promise<void> {
  const { rows: empty } = await sql<{ user_id: string; session_id: string; started_at: Date }>`
    select t.user_id, t.session_id, t.started_at from ${touchedWithBounds(target, window)}
    where not exists (
      select 1 from fullstory_events e
      where e.org_id = ${target.orgId} and e.stream = ${target.stream} and e.user_id = t.user_id and e.session_id = t.session_id
        and e.event_start >= t.first_at and e.event_start <= t.last_at and ${EVENT_SESSION_KEY} = t.started_at
      offset 0
    )`.execute(trx);
  if (empty.length === 0) return;
  const column = <K extends keyof (typeof empty)[number]>(key: K) => empty.map((row) => row[key]);
  const keys = column('started_at').map((key) => key.getTime());
  // A range of the key, not `= any(…)`, is what Postgres prunes a key's last column by.
  await sql`
    delete from fullstory_sessions
    where org_id = ${target.orgId} and stream = ${target.stream} and started_at >= ${new Date(Math.min(...keys))} and started_at <= ${new Date(Math.max(...keys))}
      and (user_id, session_id, started_at) in (select * from unnest(${column('user_id')}::text[], ${column('session_id')}::text[], ${column('started_at')}::timestamptz[]))
  `.execute(trx);
}

/**
 * The touched sessions (`t`), each with where its events can lie: within
 * the reach after its key, and, where it has a row, between the earlier of
 * its first event and the window's start and the later of its last event
 * and the window's end (its events before this load, and this load's).
 * Read before the session's row is rewritten, in the statement that uses it.
 */
function touchedWithBounds(target: StreamTarget, window: SyncWindow): RawBuilder<unknown> {
  const [start, last] = [new Date(window.start), new Date(window.end - 1)];
  return sql`(
    select t.user_id, t.session_id, t.started_at,
      greatest(t.started_at, least(coalesce(s.session_start, t.started_at), ${start}::timestamptz)) as first_at,
      least(t.started_at + ${REACH}, greatest(coalesce(s.session_end, t.started_at + ${REACH}), ${last}::timestamptz)) as last_at
    from (select distinct ${KEY} from fullstory_touched) t
    left join lateral (
      select s.session_start, s.session_end from fullstory_sessions s
      where s.org_id = ${target.orgId} and s.stream = ${target.stream} and s.user_id = t.user_id and s.session_id = t.session_id and s.started_at = t.started_at
      offset 0
    ) s on true
  ) t`;
}

/**
 * A row kept from before sessions were keyed (started_at -infinity, in the
 * partition kept by the upgrade) of a touched session is replaced by keyed
 * ones: every key its events name between its first and last event is
 * touched, so each is derived, and the kept row goes. No keyed row of such
 * a session exists yet (every load since the upgrade that touched it came
 * here first), so each is derived from the whole reach of its key. Only
 * the kept partition is read (the constant key prunes the rest; none where
 * the table was partitioned empty).
 */
async function replaceKeptRows(trx: Transaction<Database>, target: StreamTarget): Promise<void> {
  // Each touched session probes the kept partition's key (a join could read all of it).
  const { rows: kept } = await sql<{ user_id: string; session_id: string }>`
    select t.user_id, t.session_id from (select distinct user_id, session_id from fullstory_touched) t
    where exists (${keptRowOf(target, sql`t`)})`.execute(trx);
  if (kept.length === 0) return;
  await sql`
    with kept as (
      delete from fullstory_sessions l
      where l.org_id = ${target.orgId} and l.stream = ${target.stream} and l.started_at = '-infinity'::timestamptz
        and (l.user_id, l.session_id) in (select * from unnest(${kept.map((row) => row.user_id)}::text[], ${kept.map((row) => row.session_id)}::text[]))
      returning l.user_id, l.session_id, l.session_start, l.session_end
    )
    insert into fullstory_touched
    select distinct kept.user_id, kept.session_id, e.started_at from kept
    cross join lateral (
      select ${EVENT_SESSION_KEY} as started_at from fullstory_events e
      where e.org_id = ${target.orgId} and e.stream = ${target.stream} and e.user_id = kept.user_id and e.session_id = kept.session_id
        and e.event_start >= kept.session_start and e.event_start <= kept.session_end
      offset 0
    ) e
  `.execute(trx);
}

/**
 * The row kept from before keys of the session of `alias` (its user_id and
 * session_id), for an EXISTS: a probe of the kept partition's key for each
 * session (offset 0 keeps it one), none where the table was partitioned empty.
 */
function keptRowOf(target: StreamTarget, alias: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`
    select 1 from fullstory_sessions l
    where l.org_id = ${target.orgId} and l.stream = ${target.stream} and l.started_at = '-infinity'::timestamptz
      and l.user_id = ${alias}.user_id and l.session_id = ${alias}.session_id
    offset 0`;
}

/**
 * The sessions of a window that had no events before this load, from one
 * read of the window's events: a session seen nowhere else is inserted
 * with the window's figures; one that already had events in other windows
 * (it has a row, or a row kept from before keys) is derived again from all
 * of them by refreshTouchedSessions. Which sessions have a row is what the
 * insert finds (its conflicts), so the table is probed once, not looked at
 * first and written after.
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
  await sql`create temp table fullstory_touched on commit drop as select ${KEY} from fullstory_window_sessions with no data`.execute(trx);
  // A session with a row kept from before keys has events outside this window: it is derived
  // from all of them, with no row of this window's alone in the way (replaceKeptRows).
  await sql`
    insert into fullstory_touched
    select ${KEY} from fullstory_window_sessions w where exists (${keptRowOf(target, sql`w`)})
  `.execute(trx);
  await replaceKeptRows(trx, target);
  // The sessions that already have a row conflict here, and are derived in full next.
  await sql`
    with inserted as (
      insert into fullstory_sessions (org_id, stream, ${KEY}, ${columnList()})
      select ${target.orgId}, ${target.stream}, ${KEY}, ${columnList()} from fullstory_window_sessions w
      where not exists (select 1 from fullstory_touched t where t.user_id = w.user_id and t.session_id = w.session_id)
      on conflict (org_id, stream, ${KEY}) do nothing
      returning ${KEY}
    )
    insert into fullstory_touched
    select ${KEY} from fullstory_window_sessions w
    where not exists (select 1 from inserted i where i.user_id = w.user_id and i.session_id = w.session_id and i.started_at = w.started_at)
      and not exists (select 1 from fullstory_touched t where t.user_id = w.user_id and t.session_id = w.session_id)
  `.execute(trx);
  await refreshTouchedSessions(trx, target, window);
}
