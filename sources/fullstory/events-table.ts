import { sql, type Kysely, type Transaction } from 'kysely';
import type { CopyIn } from '../../db/copy-transaction.js';
import type { Database } from '../../db/database.js';
import { MAX_INSTANT_MS } from '../../db/storable-values.js';
import type { SyncWindow } from '../../workflows/sync-contract.js';
import type { UnitWrite } from '../sync-source.js';
import { refreshTouchedSessions } from './sessions-table.js';
import type { LineShape } from './staged-line.js';
import { stageExportFile, type StreamTarget } from './staging-table.js';

/**
 * Makes a window's events in fullstory_events exactly the export's, in the
 * caller's transaction, so a reader never sees half a window. The file
 * streams into a staging table by COPY; each row is keyed by the hash of
 * its content and its occurrence among identical rows (numbered in SQL, not
 * in memory); rows no longer exported are deleted and new ones inserted.
 * An unchanged window writes nothing. Then the sessions of the rows that
 * came or went are derived again.
 */
export async function replaceWindowEvents(trx: Transaction<Database>, copyIn: CopyIn, target: StreamTarget, window: SyncWindow, lines: AsyncIterable<string>): Promise<UnitWrite> {
  // Sorting and hashing a window's rows in memory instead of temp files.
  await sql`set local work_mem = '64MB'`.execute(trx);
  const staged = await stageExportFile(trx, copyIn, target, [['event_start', 'timestamptz']], eventShape(window), lines);
  await sql`create temp table fullstory_touched (user_id text, session_id text) on commit drop`.execute(trx);
  const changed = await mergeStaged(trx, target, window);
  await refreshTouchedSessions(trx, target);
  return { received: staged.received, synced: staged.received - staged.rejectReasons.length, written: changed, rejectReasons: staged.rejectReasons };
}

/** An event is staged with its start, which must lie in the exported window. */
function eventShape(window: SyncWindow): LineShape {
  return {
    leadingColumns: 1,
    judge(row) {
      const at = typeof row.EventStart === 'string' ? Date.parse(row.EventStart) : Number.NaN;
      if (!(at >= 0 && at <= MAX_INSTANT_MS)) return { reason: 'event has no parseable EventStart' };
      if (at < window.start || at >= window.end) return { reason: 'event starts outside the exported window' };
      return { values: [new Date(at).toISOString()] };
    },
  };
}

/**
 * Deletes the window's rows the export no longer holds and inserts the
 * ones it newly holds, in one statement over the staged rows numbered once;
 * the sessions of both are noted in fullstory_touched. Returns the rows changed.
 */
async function mergeStaged(trx: Transaction<Database>, target: StreamTarget, window: SyncWindow): Promise<number> {
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

/** How many events of a stream the table holds. */
export async function countEvents(db: Kysely<Database>, target: StreamTarget): Promise<number> {
  const row = await db.selectFrom('fullstory_events').select(sql<string>`count(*)`.as('count')).where('org_id', '=', target.orgId).where('stream', '=', target.stream).executeTakeFirstOrThrow();
  return Number(row.count);
}
