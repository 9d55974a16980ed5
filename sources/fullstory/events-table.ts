import { sql, type Kysely, type Transaction } from 'kysely';
import type { CopyIn } from '../../db/copy-transaction.js';
import type { Database } from '../../db/database.js';
import type { SyncWindow } from '../../workflows/sync-contract.js';
import type { UnitWrite } from '../sync-source.js';
import { refreshTouchedSessions } from './sessions-table.js';
import { STAGING_COLUMNS, stagedEventLine } from './staged-event-line.js';

export interface EventStream {
  orgId: string;
  stream: string;
}

/**
 * Makes a window's events in fullstory_events exactly the export's, in the
 * caller's transaction, so a reader never sees half a window. The file's
 * lines stream into a staging table by COPY (Postgres parses the JSON, ids
 * beyond 2^53 exactly); each row is keyed by the hash of its content and
 * its occurrence among identical rows (numbered in SQL, not in memory);
 * rows no longer exported are deleted and new ones inserted. An unchanged
 * window writes nothing. Rows that cannot be stored go to fullstory_rejects.
 */
export async function replaceWindowEvents(trx: Transaction<Database>, copyIn: CopyIn, target: EventStream, window: SyncWindow, lines: AsyncIterable<string>): Promise<UnitWrite> {
  // Sorting and hashing a window's rows in memory instead of temp files.
  await sql`set local work_mem = '64MB'`.execute(trx);
  await sql`create temp table fullstory_staging (event_start timestamptz, raw jsonb not null, raw_original text, reject_reason text) on commit drop`.execute(trx);
  const tally = { received: 0, rejectReasons: [] as string[] };
  await copyIn(`copy fullstory_staging ${STAGING_COLUMNS} from stdin`, copyLines(lines, window, tally));
  await moveRejects(trx, target);
  await sql`create temp table fullstory_touched (user_id text, session_id text) on commit drop`.execute(trx);
  const changed = await mergeStaged(trx, target, window);
  await refreshTouchedSessions(trx, target);
  return { received: tally.received, synced: tally.received - tally.rejectReasons.length, written: changed, rejectReasons: tally.rejectReasons };
}

async function* copyLines(lines: AsyncIterable<string>, window: SyncWindow, tally: { received: number; rejectReasons: string[] }): AsyncGenerator<string> {
  for await (const line of lines) {
    tally.received += 1;
    const staged = stagedEventLine(line, window);
    if (staged.rejectReason !== null) tally.rejectReasons.push(staged.rejectReason);
    yield staged.copyLine;
  }
}

/**
 * Deletes the window's rows the export no longer holds and inserts the
 * ones it newly holds, in one statement over the staged rows numbered once;
 * the sessions of both are noted in fullstory_touched. Returns the rows changed.
 */
async function mergeStaged(trx: Transaction<Database>, target: EventStream, window: SyncWindow): Promise<number> {
  const column = (field: string) => sql`nullif(s.raw->>${field}, '')`;
  const result = await sql`
    with keyed as (
      select s.event_start, encode(sha256(convert_to(s.raw::text, 'UTF8')), 'hex') as row_sha256, s.raw, s.raw_original
      from fullstory_staging s where s.reject_reason is null
    ),
    incoming as materialized (
      select k.*, row_number() over (partition by k.event_start, k.row_sha256)::integer as occurrence from keyed k
    ),
    gone as (
      delete from fullstory_events e
      where e.org_id = ${target.orgId} and e.stream = ${target.stream} and e.event_start >= ${new Date(window.start)} and e.event_start < ${new Date(window.end)}
        and not exists (select 1 from incoming f where f.event_start = e.event_start and f.row_sha256 = e.row_sha256 and f.occurrence = e.occurrence)
      returning e.user_id, e.session_id
    ),
    added as (
      insert into fullstory_events (org_id, stream, event_start, row_sha256, occurrence, user_id, session_id, page_id, indv_id, event_type, page_url, user_email, raw, raw_original)
      select ${target.orgId}, ${target.stream}, s.event_start, s.row_sha256, s.occurrence,
        ${column('UserId')}, ${column('SessionId')}, ${column('PageId')}, ${column('IndvId')}, ${column('EventType')}, ${column('PageUrl')}, ${column('UserEmail')}, s.raw, s.raw_original
      from incoming s
      on conflict do nothing
      returning user_id, session_id
    )
    insert into fullstory_touched select user_id, session_id from gone union all select user_id, session_id from added
  `.execute(trx);
  return Number(result.numAffectedRows ?? 0n);
}

/** Staged rows that cannot be events move to fullstory_rejects, with their reason and the exact line. */
async function moveRejects(trx: Transaction<Database>, target: EventStream): Promise<void> {
  await sql`
    insert into fullstory_rejects (org_id, stream, reason, raw, raw_original, raw_sha256)
    select ${target.orgId}, ${target.stream}, reject_reason, raw, raw_original, encode(sha256(convert_to(raw_original, 'UTF8')), 'hex')
    from fullstory_staging where reject_reason is not null
    on conflict do nothing
  `.execute(trx);
}

/** How many events of a stream the table holds. */
export async function countEvents(db: Kysely<Database>, target: EventStream): Promise<number> {
  const row = await db.selectFrom('fullstory_events').select(sql<string>`count(*)`.as('count')).where('org_id', '=', target.orgId).where('stream', '=', target.stream).executeTakeFirstOrThrow();
  return Number(row.count);
}
