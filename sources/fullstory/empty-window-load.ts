import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { CopyIn } from '../../db/copy-transaction.js';
import type { Database } from '../../db/database.js';
import { copyExportLines } from './copy-export-lines.js';
import { OccurrenceCounter } from './occurrence-counter.js';
import { TYPED_EVENT_COLUMNS, typedColumnList, typedColumnsOf, typedEventValues } from './typed-event-columns.js';
import type { PhaseClock } from './phase-clock.js';
import { copyLine, judgeLine, type LineShape } from './staged-line.js';
import type { StreamTarget } from './staging-table.js';

/** How a window with no events yet is loaded; the defaults suit every window. */
export interface EmptyWindowOptions {
  /**
   * Refused rows are held in memory until the COPY ends, up to this many
   * characters (default 8 Mi); a file with more is loaded through the staging table instead.
   */
  maxHeldRejectChars?: number;
  /** The OccurrenceCounter's filter size. */
  filterBits?: number;
  /**
   * Rows whose typed columns Postgres must read from `raw` after the COPY
   * (their line's text could not say them for sure), held by key up to
   * this many (default 100,000); a file with more goes through staging.
   */
  maxUnsureRows?: number;
}

export interface EmptyWindowLoad {
  received: number;
  /** Rows stored. */
  copied: number;
  rejectReasons: string[];
}

interface LoadState {
  received: number;
  copied: number;
  rejected: RejectedLine[];
  rejectChars: number;
  /** Start (epoch ms) of each row, by SHA-256, whose typed columns Postgres must read. */
  unsure: Map<string, number>;
  options: Required<Omit<EmptyWindowOptions, 'filterBits'>>;
}

interface RejectedLine {
  reason: string;
  raw: string;
  rawOriginal: string;
}

/** The file holds more refused or unsure rows than this path may hold: it goes through the staging table. */
class StagingNeeded extends Error {}

const COPY_EVENTS = `copy fullstory_events (org_id, stream, event_start, row_sha256, occurrence, raw, raw_original, ${TYPED_EVENT_COLUMNS.map(([column]) => column).join(', ')}) from stdin`;

/** The typed columns of a row whose line could not say them: Postgres reads them from `raw` after the COPY. */
const UNSURE_TYPED = TYPED_EVENT_COLUMNS.map(() => null);

/**
 * The first load of a window that holds no events yet (every backfill's):
 * the export's rows go by COPY straight into fullstory_events, identical
 * rows numbered as they stream (OccurrenceCounter), so the window costs
 * one pass where a merge costs three. The typed columns are read from the
 * line's text where it says them for sure (typed-event-columns.ts).
 * Refused rows are written to fullstory_rejects after. Undefined, with nothing written, when a file
 * refuses too many rows to hold: the caller merges it through the staging
 * table, from a new download.
 *
 * @example await loadEmptyWindow(trx, copyIn, target, eventShape(window), lines, phaseClock())
 */
export async function loadEmptyWindow(trx: Transaction<Database>, copyIn: CopyIn, target: StreamTarget, shape: LineShape, lines: AsyncIterable<string>, clock: PhaseClock, options: EmptyWindowOptions = {}): Promise<EmptyWindowLoad | undefined> {
  const counter = new OccurrenceCounter(options.filterBits);
  const load: LoadState = { received: 0, copied: 0, rejected: [], rejectChars: 0, unsure: new Map(), options: { maxHeldRejectChars: 8 * 1024 * 1024, maxUnsureRows: 100_000, ...options } };
  await sql`savepoint fullstory_empty_window`.execute(trx);
  try {
    await copyExportLines(copyIn, COPY_EVENTS, eventRows(lines, shape, target, counter, load));
  } catch (error) {
    if (!(error instanceof StagingNeeded)) throw error;
    await sql`rollback to savepoint fullstory_empty_window`.execute(trx);
    return undefined;
  }
  clock.lap('copy');
  await readUnsureTypedColumns(trx, target, load.unsure);
  await closeOccurrenceGaps(trx, target, counter.suspects());
  clock.lap('renumber');
  await storeRejects(trx, target, load.rejected);
  clock.lap('rejects');
  return { received: load.received, copied: load.copied, rejectReasons: load.rejected.map((line) => line.reason) };
}

async function* eventRows(lines: AsyncIterable<string>, shape: LineShape, target: StreamTarget, counter: OccurrenceCounter, load: LoadState): AsyncGenerator<string> {
  for await (const line of lines) {
    load.received += 1;
    const judged = judgeLine(line, shape);
    if (judged.rejectReason !== null) {
      load.rejected.push({ reason: judged.rejectReason, raw: ownCopy(judged.raw), rawOriginal: ownCopy(line) });
      load.rejectChars += judged.raw.length + line.length;
      if (load.rejectChars > load.options.maxHeldRejectChars) throw new StagingNeeded();
      continue;
    }
    const [eventStart, sha256] = judged.values as [string, string];
    load.copied += 1;
    const typed = judged.rawOriginal === null ? typedEventValues(line) : undefined;
    if (typed === undefined) {
      load.unsure.set(sha256, Date.parse(eventStart));
      if (load.unsure.size > load.options.maxUnsureRows) throw new StagingNeeded();
    }
    yield copyLine([target.orgId, target.stream, eventStart, sha256, String(counter.next(sha256, eventStart)), judged.raw, judged.rawOriginal, ...(typed ?? UNSURE_TYPED)]);
  }
}

/**
 * The ctid of each row of the window's key (`s.event_start`, `s.row_sha256`)
 * that meets `condition`: a primary-key lookup, used in a lateral join
 * because the window's rows have no statistics yet, and a join the planner
 * chose freely was seen to compare every key with every row.
 */
function rowsOfKey(target: StreamTarget, condition: RawBuilder<unknown> = sql`true`): RawBuilder<unknown> {
  return sql`
    select e.ctid as row_id from fullstory_events e
    where e.org_id = ${target.orgId} and e.stream = ${target.stream} and e.event_start = s.event_start and e.row_sha256 = s.row_sha256 and ${condition}`;
}

/** What a moved row keeps, in this order. */
const MOVED_COLUMNS = sql`org_id, stream, event_start, row_sha256, occurrence, ${typedColumnList()}, raw, raw_original`;

/**
 * Sets the typed columns of the rows whose line could not say them, as
 * Postgres reads them from `raw`; identical rows share a key and a value.
 * Looked up by primary key (rowsOfKey).
 */
async function readUnsureTypedColumns(trx: Transaction<Database>, target: StreamTarget, unsure: Map<string, number>): Promise<void> {
  if (unsure.size === 0) return;
  const keys = [...unsure];
  await sql`
    update fullstory_events e set (${typedColumnList()}) = (select ${typedColumnsOf(sql`e.raw`)})
    where e.ctid = any(array(
      select g.row_id from unnest(${keys.map(([, startMs]) => new Date(startMs).toISOString())}::timestamptz[], ${keys.map(([sha256]) => sha256)}::text[]) as s(event_start, row_sha256)
      cross join lateral (${rowsOfKey(target)}) g
    ))
  `.execute(trx);
}

/**
 * The text as a string of its own: a line is cut from the downloaded chunk,
 * and a held cut would keep the whole chunk alive.
 */
function ownCopy(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

/**
 * Numbers from 1 the groups of identical rows that the counter's false
 * alarms started at 2 (no row of theirs is numbered 1): their rows are
 * taken out and put back one lower (two statements, so no row meets its own
 * old key). Each suspect is looked up by primary key (rowsOfKey).
 */
async function closeOccurrenceGaps(trx: Transaction<Database>, target: StreamTarget, suspects: { eventStarts: string[]; sha256s: string[] }): Promise<void> {
  if (suspects.sha256s.length === 0) return;
  await sql`create temp table fullstory_renumbered on commit drop as select ${MOVED_COLUMNS} from fullstory_events limit 0`.execute(trx);
  // One statement for all suspects: in batches of 5,000 each statement took about as long as all of them in one.
  await sql`
    with suspect as (select * from unnest(${suspects.eventStarts}::timestamptz[], ${suspects.sha256s}::text[]) as s(event_start, row_sha256)),
    gapped as (
      select g.row_id from suspect s
      left join lateral (${rowsOfKey(target, sql`e.occurrence = 1`)} limit 1) first on true
      cross join lateral (${rowsOfKey(target)}) g
      where first.row_id is null
    ),
    taken as (
      delete from fullstory_events e where e.ctid = any(array(select row_id from gapped))
      returning ${MOVED_COLUMNS}
    )
    insert into fullstory_renumbered select * from taken
  `.execute(trx);
  await sql`
    insert into fullstory_events (${MOVED_COLUMNS})
    select org_id, stream, event_start, row_sha256, occurrence - 1, ${typedColumnList()}, raw, raw_original from fullstory_renumbered
  `.execute(trx);
}

async function storeRejects(trx: Transaction<Database>, target: StreamTarget, rejected: RejectedLine[]): Promise<void> {
  if (rejected.length === 0) return;
  await sql`
    insert into fullstory_rejects (org_id, stream, reason, raw, raw_original, raw_sha256)
    select ${target.orgId}, ${target.stream}, r.reason, r.raw::jsonb, r.raw_original, encode(sha256(convert_to(r.raw_original, 'UTF8')), 'hex')
    from unnest(${rejected.map((line) => line.reason)}::text[], ${rejected.map((line) => line.raw)}::text[], ${rejected.map((line) => line.rawOriginal)}::text[]) as r(reason, raw, raw_original)
    on conflict do nothing
  `.execute(trx);
}
