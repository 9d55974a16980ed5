/**
 * The one taxonomy every source maps its failures to; the activities and
 * workflows decide from the kind alone, whatever the vendor:
 * - transient: 5xx, timeouts, resets; retried with backoff.
 * - rate_limited: wait for `retryAfterMs`, for the whole account; no attempt spent.
 * - credential_rejected: the key is wrong, revoked or lacks rights; permanent,
 *   and every stream read with it fails the same way.
 * - stream_unavailable: this site or stream cannot be read (not in the key's
 *   scope, unknown, a request the API refuses); permanent for the stream.
 * - bad_data: the answer is not the documented shape; retried a few times, then the window fails.
 * - window_failed: the vendor already failed this window's job as many times
 *   as we ask it to (FullStory's export FAILED 3 times); the window fails at
 *   once, since asking again in the same minute only asks the same question.
 *   The next run of the window starts over; the stream is fine.
 */
export type SourceFailureKind = 'transient' | 'rate_limited' | 'credential_rejected' | 'stream_unavailable' | 'bad_data' | 'window_failed';

export interface SourceErrorDetails {
  /** The vendor's finer reason (e.g. 'unauthorized', 'timeout'), for metrics and check outcomes. */
  reason: string;
  status?: number;
  retryAfterMs?: number;
  /** The start of the response body, keys already scrubbed. */
  bodyExcerpt?: string;
}

const PERMANENT: ReadonlySet<SourceFailureKind> = new Set(['credential_rejected', 'stream_unavailable']);

/** A failure of a source, classified; its message tells an operator which key, which stream, and what to do. */
export class SourceError extends Error {
  constructor(
    readonly kind: SourceFailureKind,
    message: string,
    readonly details: SourceErrorDetails,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SourceError';
  }

  get permanent(): boolean {
    return PERMANENT.has(this.kind);
  }

  /** Nothing is gained by trying this window again in this run. */
  get failsTheWindow(): boolean {
    return this.kind === 'window_failed';
  }
}
