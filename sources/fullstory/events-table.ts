import { hash } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { CopyIn } from '../../db/copy-transaction.js';
import type { Database } from '../../db/database.js';
import { MAX_INSTANT_MS } from '../../db/storable-values.js';
import type { SyncWindow } from '../../workflows/sync-contract.js';
import type { UnitWrite } from '../sync-source.js';
import { loadEmptyWindow, type EmptyWindowOptions } from './empty-window-load.js';
import { phaseClock, type PhaseClock } from './phase-clock.js';
import { deriveSessionsOfNewWindow, refreshTouchedSessions } from './sessions-table.js';
import type { LineShape } from './staged-line.js';
import { sessionKeyOf, typedColumnList, typedColumnsOf } from './typed-event-columns.js';
import { stageExportFile, type StreamTarget } from './staging-table.js';

/**
 * Makes a window's events in fullstory_events exactly the export's, in the
 * caller's transaction, so a reader never sees half a window. Each row is
 * keyed by the SHA-256 of its line and its occurrence among identical rows.
 * A window with no events yet takes them by one COPY (empty-window-load.ts).
 * Otherwise the file streams into a staging table by COPY, rows are
 * numbered in SQL, rows no longer exported are deleted and new ones
 * inserted: an unchanged window writes nothing. Then the sessions of the
 * rows that came or went are derived again.
 */
export async function replaceWindowEvents(trx: Transaction<Database>, copyIn: CopyIn, target: StreamTarget, window: SyncWindow, openLines: () => AsyncIterable<string[]>, options: EmptyWindowOptions = {}): Promise<UnitWrite> {
  const clock = phaseClock();
  // Sorting and hashing a window's keys in memory instead of temp files;
  // no JIT compiling, which costs a second per statement and gains nothing here.
  await sql`set local work_mem = '64MB'`.execute(trx);
  await sql`set local jit = off`.execute(trx);
  const shape = eventShape(window);
  const loaded = (await windowHasEvents(trx, target, window)) ? undefined : await loadEmptyWindow(trx, copyIn, target, window, shape, openLines(), clock, options);
  if (loaded) {
    await deriveSessionsOfNewWindow(trx, target, window);
    clock.lap('sessions');
    return { received: loaded.received, synced: loaded.copied, written: loaded.copied, rejectReasons: loaded.rejectReasons, phaseMs: clock.phases };
  }
  const staged = await stageExportFile(trx, copyIn, target, shape, openLines());
  clock.lap('stage');
  const changed = await mergeStaged(trx, target, window, clock);
  await refreshTouchedSessions(trx, target, window);
  clock.lap('sessions');
  return { received: staged.received, synced: staged.received - staged.rejectReasons.length, written: changed, rejectReasons: staged.rejectReasons, phaseMs: clock.phases };
}

async function windowHasEvents(trx: Transaction<Database>, target: StreamTarget, window: SyncWindow): Promise<boolean> {
  const row = await trx
    .selectFrom('fullstory_events')
    .select(sql<number>`1`.as('found'))
    .where('org_id', '=', target.orgId)
    .where('stream', '=', target.stream)
    .where('event_start', '>=', new Date(window.start))
    .where('event_start', '<', new Date(window.end))
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** `2026-11-01T10:00:00.123Z`: the form FullStory writes, which Postgres and JavaScript read alike. */
const ISO_INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,3})?Z$/;
const EVENT_START = /"EventStart"\s*:\s*"([^"\\]*)"/;

/** An event is staged with its start, which must lie in the exported window, and the hash of its line. */
function eventShape(window: SyncWindow): LineShape {
  const inWindow = (at: number) => at >= window.start && at < window.end;
  return {
    columns: [['event_start', 'timestamptz'], ['row_sha256', 'text']],
    judge(row, line) {
      const at = typeof row.EventStart === 'string' ? Date.parse(row.EventStart) : Number.NaN;
      if (!(at >= 0 && at <= MAX_INSTANT_MS)) return { reason: 'event has no parseable EventStart' };
      if (!inWindow(at)) return { reason: 'event starts outside the exported window' };
      return { values: [new Date(at).toISOString(), hash('sha256', line, 'hex')] };
    },
    quickJudge(line) {
      const start = EVENT_START.exec(line)?.[1];
      // Anything unusual (no start, another form, a second EventStart key, outside the window) is judged on the parsed row.
      if (start === undefined || !ISO_INSTANT.test(start) || line.indexOf('"EventStart"', line.indexOf('"EventStart"') + 1) !== -1) return undefined;
      return inWindow(Date.parse(start)) ? [start, hash('sha256', line, 'hex')] : undefined;
    },
  };
}

/**
 * Deletes the window's rows the export no longer holds and inserts the
 * ones it newly holds; the sessions of both are noted in fullstory_touched.
 * Rows are numbered among identical ones on their narrow keys only, then
 * joined back to the staged row by its ctid. Returns the rows changed.
 */
async function mergeStaged(trx: Transaction<Database>, target: StreamTarget, window: SyncWindow, clock: PhaseClock): Promise<number> {
  await sql`
    create temp table fullstory_numbered on commit drop as
    select ctid as staged_row, event_start, row_sha256, row_number() over (partition by event_start, row_sha256)::integer as occurrence
    from fullstory_staging where reject_reason is null
  `.execute(trx);
  // Temporary tables get no statistics unless asked, and a window just
  // loaded has none yet either: estimated at a row or two, the anti-joins
  // below would plan as nested loops, quadratic in the window's rows.
  clock.lap('number');
  await sql`analyze fullstory_staging, fullstory_numbered`.execute(trx);
  clock.lap('analyze');
  await sql`set local enable_nestloop = off`.execute(trx);
  await sql`create temp table fullstory_touched (user_id text, session_id text, started_at timestamptz) on commit drop`.execute(trx);
  const gone = await sql<{ n: string }>`
    with gone as (
      delete from fullstory_events e
      where e.org_id = ${target.orgId} and e.stream = ${target.stream} and e.event_start >= ${new Date(window.start)} and e.event_start < ${new Date(window.end)}
        and not exists (select 1 from fullstory_numbered n where n.event_start = e.event_start and n.row_sha256 = e.row_sha256 and n.occurrence = e.occurrence)
      returning e.user_id, e.session_id, ${sql`coalesce(e.session_started_at, ${sessionKeyOf(sql`e.raw`, sql`e.event_start`)})`} as started_at
    ),
    noted as (insert into fullstory_touched select distinct user_id, session_id, started_at from gone)
    select count(*) as n from gone
  `.execute(trx);
  clock.lap('delete');
  const added = await sql<{ n: string }>`
    with added as (
      insert into fullstory_events (org_id, stream, event_start, row_sha256, occurrence, ${typedColumnList()}, raw, raw_original)
      select ${target.orgId}, ${target.stream}, n.event_start, n.row_sha256, n.occurrence, ${typedColumnsOf(sql`s.raw`, sql`n.event_start`)}, s.raw, s.raw_original
      from fullstory_numbered n join fullstory_staging s on s.ctid = n.staged_row
      where not exists (
        select 1 from fullstory_events e
        where e.org_id = ${target.orgId} and e.stream = ${target.stream} and e.event_start >= ${new Date(window.start)} and e.event_start < ${new Date(window.end)}
          and e.event_start = n.event_start and e.row_sha256 = n.row_sha256 and e.occurrence = n.occurrence
      )
      -- No ON CONFLICT: the anti-join leaves nothing to conflict with, except a concurrent
      -- load of the same window, whose checkpoint compare-and-set rolls one of them back
      -- anyway; failing on the key instead just retries it sooner.
      returning user_id, session_id, session_started_at
    ),
    noted as (insert into fullstory_touched select distinct user_id, session_id, session_started_at from added)
    select count(*) as n from added
  `.execute(trx);
  clock.lap('insert');
  await sql`set local enable_nestloop = on`.execute(trx);
  return Number(gone.rows[0]!.n) + Number(added.rows[0]!.n);
}

/** How many events of a stream the table holds. */
export async function countEvents(db: Kysely<Database>, target: StreamTarget): Promise<number> {
  const row = await db.selectFrom('fullstory_events').select(sql<string>`count(*)`.as('count')).where('org_id', '=', target.orgId).where('stream', '=', target.stream).executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Events of a stream by the UTC day they happened in, over [from, to): what `coverage` counts. */
export async function eventsByDay(db: Kysely<Database>, target: StreamTarget, from: number, to: number): Promise<Map<number, number>> {
  const rows = await db
    .selectFrom('fullstory_events')
    .select([sql<string>`extract(epoch from date_trunc('day', event_start at time zone 'UTC') at time zone 'UTC') * 1000`.as('day'), sql<string>`count(*)`.as('n')])
    .where('org_id', '=', target.orgId)
    .where('stream', '=', target.stream)
    .where('event_start', '>=', new Date(from))
    .where('event_start', '<', new Date(to))
    .groupBy('day')
    .execute();
  return new Map(rows.map((row) => [Number(row.day), Number(row.n)]));
}
