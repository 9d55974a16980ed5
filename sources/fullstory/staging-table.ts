import { sql, type Transaction } from 'kysely';
import type { CopyIn } from '../../db/copy-transaction.js';
import type { Database } from '../../db/database.js';
import { copyExportLines } from './copy-export-lines.js';
import { stagedLine, type LineShape } from './staged-line.js';

export interface StreamTarget {
  orgId: string;
  stream: string;
}

export interface StagedFile {
  /** Lines read. */
  received: number;
  /** Why each refused row was refused (the rows are in fullstory_rejects). */
  rejectReasons: string[];
}

/**
 * Streams an export file into `fullstory_staging` by COPY, in the load's
 * transaction (dropped at its end): the shape's typed columns, then `raw`
 * (Postgres parses the JSON, ids beyond 2^53 exactly), `raw_original` and
 * `reject_reason`. Refused rows move on to fullstory_rejects with their
 * reason and exact line; the rest stay staged for the caller's merge.
 *
 * @example await stageExportFile(trx, copyIn, target, eventShape(window), lines)
 */
export async function stageExportFile(trx: Transaction<Database>, copyIn: CopyIn, target: StreamTarget, shape: LineShape, lines: AsyncIterable<string[]>): Promise<StagedFile> {
  const definitions = shape.columns.map(([name, type]) => `${name} ${type}`).join(', ');
  await sql.raw(`create temp table fullstory_staging (${definitions}${definitions ? ', ' : ''}raw jsonb not null, raw_original text, reject_reason text) on commit drop`).execute(trx);
  const staged: StagedFile = { received: 0, rejectReasons: [] };
  const columns = [...shape.columns.map(([name]) => name), 'raw', 'raw_original', 'reject_reason'].join(', ');
  await copyExportLines(copyIn, `copy fullstory_staging (${columns}) from stdin`, stagedLines(lines, shape, staged));
  await sql`
    insert into fullstory_rejects (org_id, stream, reason, raw, raw_original, raw_sha256)
    select ${target.orgId}, ${target.stream}, reject_reason, raw, raw_original, encode(sha256(convert_to(raw_original, 'UTF8')), 'hex')
    from fullstory_staging where reject_reason is not null
    on conflict do nothing
  `.execute(trx);
  return staged;
}

/** Each batch of lines as one piece of COPY text. */
async function* stagedLines(batches: AsyncIterable<string[]>, shape: LineShape, staged: StagedFile): AsyncGenerator<string> {
  for await (const batch of batches) {
    let text = '';
    for (const line of batch) {
      staged.received += 1;
      const { copyLine, rejectReason } = stagedLine(line, shape);
      if (rejectReason !== null) staged.rejectReasons.push(rejectReason);
      text += copyLine;
    }
    yield text;
  }
}
