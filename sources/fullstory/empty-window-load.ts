import { sql, type Transaction } from 'kysely';
import type { CopyIn } from '../../db/copy-transaction.js';
import type { Database } from '../../db/database.js';
import { copyExportLines } from './copy-export-lines.js';
import { TYPED_COLUMN_NAMES, typedColumnList, typedColumnsOf, typedEventValues } from './typed-event-columns.js';
import type { PhaseClock } from './phase-clock.js';
import { judgeLine, type LineShape } from './staged-line.js';
import { copyLine } from '../../db/copy-text.js';
import type { StreamTarget } from './staging-table.js';
import { StreamedOccurrences } from './streamed-occurrences.js';
import type { SyncWindow } from '../../workflows/sync-contract.js';

/** How a window with no events yet is loaded; the defaults suit every window. */
export interface EmptyWindowOptions {
  /**
   * Refused rows are held in memory until the COPY ends, up to this many
   * characters (default 8 Mi); a file with more is loaded through the staging table instead.
   */
  maxHeldRejectChars?: number;
  /** The size in bits of the filter that tells lines seen before (SeenLinesFilter). */
  filterBits?: number;
  /**
   * The partition that alone holds the window (db/site-partitions.ts): the
   * COPY goes straight into it, sparing Postgres the routing of each row.
   * Absent: into fullstory_events, which routes each row.
   */
  partition?: string;
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
  maxHeldRejectChars: number;
}

interface RejectedLine {
  reason: string;
  raw: string;
  rawOriginal: string;
}

/** The file refuses more rows than this path may hold: it goes through the staging table. */
class StagingNeeded extends Error {}

/** The COPY into fullstory_events or one of its partitions (a name db/site-partitions.ts made: no quoting needed). */
function copyEvents(table: string): string {
  return `copy ${table} (org_id, stream, event_start, row_sha256, occurrence, raw, raw_original, ${TYPED_COLUMN_NAMES.join(', ')}) from stdin`;
}

/** The typed columns of a row whose line could not say them: Postgres reads them from `raw` after the COPY. */
const UNSURE_TYPED = TYPED_COLUMN_NAMES.map(() => null);

/**
 * The first load of a window that holds no events yet (every backfill's):
 * the export's rows go by COPY straight into fullstory_events, so the
 * window costs one pass where a merge costs three. A row is numbered as it
 * streams when StreamedOccurrences can be sure of its number and its line
 * says its typed columns for sure (typed-event-columns.ts); any other row
 * is left unnumbered (a negative occurrence) for Postgres to number and
 * type after the COPY. Memory holds nothing per row. Refused rows are written to fullstory_rejects after.
 * Undefined, with nothing written, when a file refuses too many rows to
 * hold: the caller merges it through the staging table, from a new download.
 *
 * @example await loadEmptyWindow(trx, copyIn, target, window, eventShape(window), lines, phaseClock())
 */
export async function loadEmptyWindow(trx: Transaction<Database>, copyIn: CopyIn, target: StreamTarget, window: SyncWindow, shape: LineShape, lines: AsyncIterable<string[]>, clock: PhaseClock, options: EmptyWindowOptions = {}): Promise<EmptyWindowLoad | undefined> {
  const occurrences = new StreamedOccurrences(options.filterBits);
  const load: LoadState = { received: 0, copied: 0, rejected: [], rejectChars: 0, maxHeldRejectChars: options.maxHeldRejectChars ?? 8 * 1024 * 1024 };
  await sql`savepoint fullstory_empty_window`.execute(trx);
  try {
    await copyExportLines(copyIn, copyEvents(options.partition ?? 'fullstory_events'), eventRows(lines, shape, target, occurrences, load));
  } catch (error) {
    if (!(error instanceof StagingNeeded)) throw error;
    await sql`rollback to savepoint fullstory_empty_window`.execute(trx);
    return undefined;
  }
  clock.lap('copy');
  await numberLeftRows(trx, target, window);
  clock.lap('renumber');
  await storeRejects(trx, target, load.rejected);
  clock.lap('rejects');
  return { received: load.received, copied: load.copied, rejectReasons: load.rejected.map((line) => line.reason) };
}

/** Each batch of lines as one piece of COPY text. */
async function* eventRows(batches: AsyncIterable<string[]>, shape: LineShape, target: StreamTarget, occurrences: StreamedOccurrences, load: LoadState): AsyncGenerator<string> {
  for await (const batch of batches) {
    let text = '';
    for (const line of batch) text += eventRow(line, shape, target, occurrences, load);
    yield text;
  }
}

/** One line as a COPY text line of fullstory_events, or '' when it is refused (held for fullstory_rejects). */
function eventRow(line: string, shape: LineShape, target: StreamTarget, occurrences: StreamedOccurrences, load: LoadState): string {
  load.received += 1;
  const judged = judgeLine(line, shape);
  if (judged.rejectReason !== null) {
    load.rejected.push({ reason: judged.rejectReason, raw: ownCopy(judged.raw), rawOriginal: ownCopy(line) });
    load.rejectChars += judged.raw.length + line.length;
    if (load.rejectChars > load.maxHeldRejectChars) throw new StagingNeeded();
    return '';
  }
  const [eventStart, sha256] = judged.values as [string, string];
  load.copied += 1;
  const typed = judged.rawOriginal === null ? typedEventValues(line, Date.parse(eventStart)) : undefined;
  // Counted even when the row is left for its typed columns: every copy of
  // such a line is (the typed columns depend on the line's text alone).
  const streamed = occurrences.next(sha256);
  // Left rows get distinct negative occurrences, so the primary key holds during the COPY.
  const occurrence = streamed !== undefined && typed !== undefined ? streamed : -load.copied;
  return copyLine([target.orgId, target.stream, eventStart, sha256, String(occurrence), judged.raw, judged.rawOriginal, ...(typed ?? UNSURE_TYPED)]);
}

/**
 * Numbers the rows the COPY left (negative occurrence) among their
 * identical rows, after the ones numbered as they streamed (1..n), and sets their
 * typed columns as Postgres reads them from `raw`. Found through the
 * partial index fullstory_events_left, which holds only such rows. A row
 * is matched by its partition and ctid (a ctid alone names a row only
 * within one partition), and the update is held to the window's partitions.
 */
async function numberLeftRows(trx: Transaction<Database>, target: StreamTarget, window: SyncWindow): Promise<void> {
  await sql`
    update fullstory_events e
    set occurrence = n.occurrence, (${typedColumnList()}) = (select ${typedColumnsOf(sql`e.raw`, sql`e.event_start`)})
    from (
      select l.tableoid as partition_id, l.ctid as row_id,
        row_number() over (partition by l.event_start, l.row_sha256 order by l.occurrence desc)::integer
          + (select count(*) from fullstory_events f where f.org_id = l.org_id and f.stream = l.stream and f.event_start = l.event_start and f.row_sha256 = l.row_sha256 and f.occurrence > 0)::integer as occurrence
      from fullstory_events l
      where l.org_id = ${target.orgId} and l.stream = ${target.stream} and l.event_start >= ${new Date(window.start)} and l.event_start < ${new Date(window.end)} and l.occurrence < 0
    ) n
    where e.tableoid = n.partition_id and e.ctid = n.row_id
      and e.org_id = ${target.orgId} and e.stream = ${target.stream} and e.event_start >= ${new Date(window.start)} and e.event_start < ${new Date(window.end)}
  `.execute(trx);
}

/**
 * The text as a string of its own: a line is cut from the downloaded chunk,
 * and a held cut would keep the whole chunk alive.
 */
function ownCopy(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
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
