/** A response body larger than the cap: the request is abandoned, nothing of it is parsed. */
export class BodyTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`response body exceeds ${maxBytes} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/**
 * Reads a response body as text, stopping as soon as it (decompressed, as
 * fetch delivers it) passes `maxBytes`: a gzip body of a few hundred KB can
 * expand to gigabytes, and every concurrent activity holds its page in memory.
 */
export async function readCappedText(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  // content-length counts the bytes on the wire, before decompression: only an identity body can be refused by it.
  if (declared > maxBytes && !response.headers.get('content-encoding')) {
    await response.body?.cancel();
    throw new BodyTooLargeError(maxBytes);
  }
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    // Leaving the loop cancels the stream: the rest is never downloaded or inflated.
    if (size > maxBytes) throw new BodyTooLargeError(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
