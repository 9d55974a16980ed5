import type { CopyIn } from '../../db/copy-transaction.js';
import { malformedFile } from './malformed-file.js';

/** Postgres's SQLSTATE for text its type's parser refuses, here jsonb's. */
const INVALID_TEXT_REPRESENTATION = '22P02';

/** COPY data is sent in chunks of about this many characters: one write per line would cost more than the line. */
const CHUNK_CHARS = 64 * 1024;

/**
 * Runs a COPY of an export file's rows, given as pieces of COPY text (a
 * line or a batch of lines each), sent in chunks. A line Postgres refuses as JSON fails the file as malformed, as
 * one JavaScript refuses does (nothing of it is quoted: it came from the API).
 *
 * @example await copyExportLines(copyIn, 'copy fullstory_staging (raw) from stdin', copyText)
 */
export async function copyExportLines(copyIn: CopyIn, statement: string, copyText: AsyncIterable<string>): Promise<void> {
  try {
    await copyIn(statement, inChunks(copyText));
  } catch (error) {
    if ((error as { code?: string }).code === INVALID_TEXT_REPRESENTATION) throw malformedFile('a line is not JSON');
    throw error;
  }
}

async function* inChunks(pieces: AsyncIterable<string>): AsyncGenerator<string> {
  let chunk = '';
  for await (const piece of pieces) {
    chunk += piece;
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}
