import type { CopyIn } from '../../db/copy-transaction.js';
import { malformedFile } from './malformed-file.js';

/** Postgres's SQLSTATE for text its type's parser refuses, here jsonb's. */
const INVALID_TEXT_REPRESENTATION = '22P02';

/** COPY data is sent in chunks of about this many characters: one write per line would cost more than the line. */
const CHUNK_CHARS = 64 * 1024;

/**
 * Runs a COPY of an export file's rows, given as COPY text lines, sent in
 * chunks. A line Postgres refuses as JSON fails the file as malformed, as
 * one JavaScript refuses does (nothing of it is quoted: it came from the API).
 *
 * @example await copyExportLines(copyIn, 'copy fullstory_staging (raw) from stdin', copyTextLines)
 */
export async function copyExportLines(copyIn: CopyIn, statement: string, copyTextLines: AsyncIterable<string>): Promise<void> {
  try {
    await copyIn(statement, inChunks(copyTextLines));
  } catch (error) {
    if ((error as { code?: string }).code === INVALID_TEXT_REPRESENTATION) throw malformedFile('a line is not JSON');
    throw error;
  }
}

async function* inChunks(lines: AsyncIterable<string>): AsyncGenerator<string> {
  let chunk = '';
  for await (const line of lines) {
    chunk += line;
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}
