import { pipeline, Readable, type Transform } from 'node:stream';
import { malformedFile } from './malformed-file.js';

/** A longer line is refused: one row of an export is a few kilobytes. */
export const MAX_LINE_BYTES = 1 << 20;

const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * The non-blank lines of an NDJSON file, gzipped or not (FullStory's are
 * always gzip: detected by their magic bytes, not trusted to a header),
 * holding one chunk and its lines in memory at a time. Lines come in
 * batches, those each chunk completes: a promise per line through every
 * stage of a load cost more CPU than parsing the line (docs/benchmarks.md).
 * Invalid UTF-8 fails the file.
 */
export async function* readNdjsonLines(body: AsyncIterable<Uint8Array>, gunzip: () => Transform): AsyncGenerator<string[]> {
  const chunks = body[Symbol.asyncIterator]();
  const first = await chunks.next();
  if (first.done) return;
  const rest = (async function* () {
    yield first.value;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
  })();
  const source = first.value[0] === GZIP_MAGIC[0] && first.value[1] === GZIP_MAGIC[1] ? inflated(rest, gunzip()) : rest;
  let pending = '';
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for await (const chunk of source as AsyncIterable<Uint8Array>) {
    let text: string;
    try {
      text = pending + decoder.decode(chunk, { stream: true });
    } catch {
      throw malformedFile('it is not UTF-8 text');
    }
    let from = 0;
    const batch: string[] = [];
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', from)) {
      const line = text.slice(from, newline);
      from = newline + 1;
      if (line.trim()) batch.push(line);
    }
    if (batch.length > 0) yield batch;
    pending = text.slice(from);
    if (pending.length > MAX_LINE_BYTES) throw malformedFile(`a line exceeds ${MAX_LINE_BYTES} bytes`);
  }
  try {
    pending += decoder.decode();
  } catch {
    throw malformedFile('it is not UTF-8 text');
  }
  if (pending.trim()) yield [pending];
}

/** The gunzipped stream; an error on either side ends both (the lines' reader sees it). */
function inflated(source: AsyncIterable<Uint8Array>, gunzip: Transform): Transform {
  pipeline(Readable.from(source), gunzip, () => {});
  return gunzip;
}
