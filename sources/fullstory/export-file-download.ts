import { createGunzip } from 'node:zlib';
import { retryAfterMs } from '../http/retry-after.js';
import { SourceError } from '../source-error.js';
import { malformedFile } from './malformed-file.js';
import { readNdjsonLines } from './ndjson-lines.js';

export interface ExportFileDownloadOptions {
  /**
   * The download fails (as transient) when the storage host sends no byte
   * for this long while one is awaited. An idle timeout, not a total one: a
   * multi-GB file may take an hour and is still healthy while bytes flow
   * (FullStory's own exporter cut big files with a total timeout, hauser#82).
   */
  idleTimeoutMs: number;
  /** The activity's cancellation. */
  signal?: AbortSignal;
}

/** Statuses with which a storage host refuses a signed link that has expired (S3 and GCS differ): ask FullStory for a fresh one. */
const EXPIRED_LINK_STATUSES: ReadonlySet<number> = new Set([400, 403, 404, 410]);

/**
 * Streams the lines of an export file, in batches (ndjson-lines.ts), from its signed location on
 * FullStory's file storage, which is not the API: it has faults of its own.
 * What goes wrong is classified for the retry policy:
 * - an expired link (403, 410, …): transient, reason `location_expired`;
 *   the retry asks the API for a fresh link;
 * - 5xx, 429, resets, timeouts, a stall past the idle timeout: transient,
 *   reason `storage_unavailable`, retried with backoff and jitter;
 * - bad gzip, text that is not UTF-8 or lines that are not JSON: malformed.
 * Messages name the storage host only: the link's query is its signature.
 */
export async function* downloadExportFile(location: string, options: ExportFileDownloadOptions): AsyncGenerator<string[]> {
  const host = new URL(location).origin;
  const idle = idleWatch(options.idleTimeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, idle.signal]) : idle.signal;
  try {
    idle.arm();
    // No Authorization header: the location is pre-signed, and the key must not travel to the storage host.
    const response = await fetch(location, { signal }).catch((error: unknown) => {
      throw storageFault(host, error, idle.fired, options.signal);
    });
    idle.disarm();
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw storageRefusal(host, response);
    }
    yield* classified(readNdjsonLines(watched(response.body, idle), createGunzip), host, idle, options.signal);
  } finally {
    idle.stop();
  }
}

async function* classified(lines: AsyncGenerator<string[]>, host: string, idle: IdleWatch, cancel: AbortSignal | undefined): AsyncGenerator<string[]> {
  try {
    yield* lines;
  } catch (error) {
    if (error instanceof SourceError) throw error;
    if (/^Z_/.test(String((error as { code?: unknown }).code))) throw malformedFile(`it is not valid gzip (${(error as Error).message})`);
    throw storageFault(host, error, idle.fired, cancel);
  }
}

/** The body's chunks, with the idle timer running only while the next chunk is awaited (a slow COPY is no stall). */
async function* watched(body: AsyncIterable<Uint8Array>, idle: IdleWatch): AsyncGenerator<Uint8Array> {
  const chunks = body[Symbol.asyncIterator]();
  try {
    for (;;) {
      idle.arm();
      const next = await chunks.next();
      idle.disarm();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await chunks.return?.();
  }
}

function storageRefusal(host: string, response: Response): SourceError {
  const { status } = response;
  if (EXPIRED_LINK_STATUSES.has(status)) {
    return new SourceError('transient', `the export file's signed link was refused by ${host} with HTTP ${status} (expired); a fresh link is asked for`, { status, reason: 'location_expired' });
  }
  const waitMs = status === 429 || status === 503 ? retryAfterMs(response.headers.get('retry-after'), Date.now()) : undefined;
  return new SourceError('transient', `FullStory's file storage at ${host} answered HTTP ${status} while downloading an export file; retrying with backoff`, {
    status,
    reason: 'storage_unavailable',
    ...(waitMs === undefined ? {} : { retryAfterMs: waitMs }),
  });
}

/** A network failure, a stall or a cancellation; no cause is kept, as Node's errors may quote the URL with its signature. */
function storageFault(host: string, error: unknown, stalled: boolean, cancel: AbortSignal | undefined): unknown {
  if (cancel?.aborted) return error;
  if (stalled) return new SourceError('transient', `the download of an export file from ${host} stalled: no byte for the idle timeout; retrying with backoff`, { reason: 'storage_unavailable' });
  const code = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name ?? 'error';
  return new SourceError('transient', `the download of an export file from ${host} broke off (${code}); retrying with backoff`, { reason: 'storage_unavailable' });
}

interface IdleWatch {
  signal: AbortSignal;
  readonly fired: boolean;
  arm(): void;
  disarm(): void;
  stop(): void;
}

/** Aborts its signal when armed for `timeoutMs` without being disarmed. */
function idleWatch(timeoutMs: number): IdleWatch {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let fired = false;
  const disarm = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  return {
    signal: controller.signal,
    get fired() {
      return fired;
    },
    arm() {
      disarm();
      timer = setTimeout(() => {
        fired = true;
        controller.abort();
      }, timeoutMs);
    },
    disarm,
    stop: disarm,
  };
}
