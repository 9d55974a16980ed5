import { pipeline, Readable, type Transform } from 'node:stream';
import { SourceError } from '../source-error.js';
import { parseLosslessJson } from './lossless-json.js';

/** A longer line is refused: one row of an export is a few kilobytes. */
export const MAX_LINE_BYTES = 1 << 20;

const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * Rows of an NDJSON file, gzipped or not (FullStory's are always gzip:
 * detected by their magic bytes, not trusted to a header), parsed
 * losslessly, holding one line in memory at a time.
 */
export async function* readNdjsonRows(body: Readable, gunzip: () => Transform): AsyncGenerator<Record<string, unknown>> {
  const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await chunks.next();
  if (first.done) return;
  const rest = (async function* () {
    yield first.value;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
  })();
  const source = first.value[0] === GZIP_MAGIC[0] && first.value[1] === GZIP_MAGIC[1] ? inflated(rest, gunzip()) : rest;
  let pending = '';
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for await (const chunk of source as AsyncIterable<Buffer>) {
    pending += decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line.trim()) yield row(line);
      newline = pending.indexOf('\n');
    }
    if (pending.length > MAX_LINE_BYTES) throw malformedFile(`a line exceeds ${MAX_LINE_BYTES} bytes`);
  }
  pending += decoder.decode();
  if (pending.trim()) yield row(pending);
}

/** The gunzipped stream; an error on either side ends both (the rows' reader sees it). */
function inflated(source: AsyncIterable<Buffer>, gunzip: Transform): Transform {
  pipeline(Readable.from(source), gunzip, () => {});
  return gunzip;
}

function row(line: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseLosslessJson(line);
  } catch {
    throw malformedFile('a line is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformedFile('a line is not a JSON object');
  return value as Record<string, unknown>;
}

function malformedFile(reason: string): SourceError {
  return new SourceError('bad_data', `FullStory sent a malformed export file: ${reason}`, { reason: 'malformed' });
}
