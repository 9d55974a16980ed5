import { sql, type Transaction } from 'kysely';
import type { Database } from '../../db/database.js';
import type { StreamTarget } from './staging-table.js';

/** The session columns that come from its events, newest event first where one value is taken. */
const SESSION_COLUMNS = ['session_start', 'session_end', 'page_count', 'event_count', 'entry_url', 'exit_url', 'device', 'browser', 'platform', 'operating_system', 'uid', 'email', 'display_name'] as const;

/**
 * Brings fullstory_sessions in line with fullstory_events for the sessions
 * whose events the current load inserted or deleted (`fullstory_touched`),
 * in the load's transaction: each such session is derived again from all
 * its events, in every window; one left with no events is deleted. A
 * session whose figures did not change is not rewritten.
 */
export async function refreshTouchedSessions(trx: Transaction<Database>, target: StreamTarget): Promise<void> {
  const latest = (expression: string) => sql.raw(`(array_agg(${expression} order by e.event_start desc, e.row_sha256 desc))[1]`);
  await sql`
    with touched as (select distinct user_id, session_id from fullstory_touched where user_id is not null and session_id is not null),
    derived as (
      select e.user_id, e.session_id,
        min(e.event_start) as session_start,
        max(e.event_start) as session_end,
        count(distinct e.page_id)::integer as page_count,
        count(*)::integer as event_count,
        (array_agg(e.page_url order by e.event_start, e.row_sha256))[1] as entry_url,
        ${latest('e.page_url')} as exit_url,
        ${latest("e.raw->>'PageDevice'")} as device,
        ${latest("e.raw->>'PageBrowser'")} as browser,
        ${latest("e.raw->>'PagePlatform'")} as platform,
        ${latest("e.raw->>'PageOperatingSystem'")} as operating_system,
        ${latest("e.raw->>'UserAppKey'")} as uid,
        ${latest('e.user_email')} as email,
        ${latest("e.raw->>'UserDisplayName'")} as display_name
      from fullstory_events e join touched t on e.user_id = t.user_id and e.session_id = t.session_id
      where e.org_id = ${target.orgId} and e.stream = ${target.stream}
      group by e.user_id, e.session_id
    )
    insert into fullstory_sessions (org_id, stream, user_id, session_id, ${sql.join(SESSION_COLUMNS.map((c) => sql.ref(c)))})
    select ${target.orgId}, ${target.stream}, user_id, session_id, ${sql.join(SESSION_COLUMNS.map((c) => sql.ref(c)))} from derived
    on conflict (org_id, stream, user_id, session_id) do update set
      ${sql.join(SESSION_COLUMNS.map((c) => sql`${sql.ref(c)} = excluded.${sql.ref(c)}`))}, updated_at = now()
    where (${sql.join(SESSION_COLUMNS.map((c) => sql.ref(`fullstory_sessions.${c}`)))}) is distinct from (${sql.join(SESSION_COLUMNS.map((c) => sql.ref(`excluded.${c}`)))})
  `.execute(trx);
  await sql`
    delete from fullstory_sessions s using (select distinct user_id, session_id from fullstory_touched) t
    where s.org_id = ${target.orgId} and s.stream = ${target.stream} and s.user_id = t.user_id and s.session_id = t.session_id
      and not exists (select 1 from fullstory_events e where e.org_id = s.org_id and e.stream = s.stream and e.user_id = s.user_id and e.session_id = s.session_id)
  `.execute(trx);
}
