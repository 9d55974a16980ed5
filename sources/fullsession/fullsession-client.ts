import { scrubSecrets, type Secret } from '../../config/secret.js';
import { BodyTooLargeError, readCappedText } from '../http/capped-body.js';
import type { RateGate } from '../http/rate-budget.js';
import { SourceError } from '../source-error.js';
import { errorForStatus, type RequestSubject } from './fullsession-error.js';
import { excerpt } from '../http/excerpt.js';
import { parsePageBody, type FullSessionPage } from './page-body.js';
import { retryAfterMs } from '../http/retry-after.js';

export interface FullSessionClientOptions {
  baseUrl: string;
  credentialName: string;
  token: Secret;
  requestTimeoutMs: number;
  /** Larger response bodies (decompressed) are refused as malformed pages. */
  maxResponseBytes: number;
  rateGate: RateGate;
}

export interface PageRequest {
  customerId: string;
  siteId: string;
  /** Only sessions starting at or after this instant (Unix ms, inclusive). */
  startTime: number;
  /** Only sessions ending at or before this instant (Unix ms, inclusive). */
  endTime: number;
  /** The previous page's `startAfter`, passed back verbatim; undefined for the first page. */
  cursor: unknown;
  signal?: AbortSignal;
}

/**
 * Client for FullSession's one endpoint,
 * `GET /v1/external/sessions/{customerId}/{siteId}`. It fetches one page per
 * call and classifies every failure in the shared taxonomy (SourceError); deciding whether to
 * retry is the caller's job.
 */
export class FullSessionClient {
  constructor(private readonly options: FullSessionClientOptions) {}

  /** Builds the request URL; it carries no secret. */
  private pageUrl(request: Omit<PageRequest, 'signal'>): URL {
    const path = `/v1/external/sessions/${encodeURIComponent(request.customerId)}/${encodeURIComponent(request.siteId)}`;
    const url = new URL(path, this.options.baseUrl);
    url.searchParams.set('startTime', String(request.startTime));
    url.searchParams.set('endTime', String(request.endTime));
    if (request.cursor !== undefined) url.searchParams.set('startAfter', String(request.cursor));
    return url;
  }

  /**
   * Fetches and validates one page. Waits for the rate budget first.
   *
   * @example const page = await client.fetchPage({ customerId, siteId, startTime, endTime, cursor: undefined })
   */
  async fetchPage(request: PageRequest): Promise<FullSessionPage> {
    const subject = this.subject(request);
    return this.options.rateGate(async () => {
      const { status, headers, body } = await this.get(this.pageUrl(request), subject, request.signal);
      if (status < 200 || status > 299) {
        throw errorForStatus(status, subject, retryAfterMs(headers.get('retry-after'), Date.now()), excerpt(body));
      }
      return parsePageBody(body);
    }, request.signal);
  }

  private subject(request: PageRequest): RequestSubject {
    return {
      customerId: request.customerId,
      siteId: request.siteId,
      credentialName: this.options.credentialName,
      obfuscatedKey: this.options.token.obfuscated,
    };
  }

  private async get(url: URL, subject: RequestSubject, cancel?: AbortSignal) {
    const timeout = AbortSignal.timeout(this.options.requestTimeoutMs);
    const signal = cancel ? AbortSignal.any([cancel, timeout]) : timeout;
    const where = `site ${subject.siteId} of customer ${subject.customerId}`;
    try {
      const response = await fetch(url, {
        headers: { authorization: `Bearer ${this.options.token.reveal()}`, accept: 'application/json' },
        signal,
      });
      return { status: response.status, headers: response.headers, body: await readCappedText(response, this.options.maxResponseBytes) };
    } catch (error) {
      if (cancel?.aborted) throw error;
      if (error instanceof BodyTooLargeError) {
        throw new SourceError('bad_data', `FullSession sent a malformed page: response body exceeds the ${error.maxBytes}-byte cap (FULLSESSION_MAX_RESPONSE_SIZE) for ${where}; nothing of it was read further`, { reason: 'malformed' });
      }
      if (timeout.aborted) {
        throw new SourceError('transient', `FullSession did not answer within ${this.options.requestTimeoutMs} ms for ${where}`, { reason: 'timeout' }, { cause: error });
      }
      // No cause kept: Node's errors may quote the request, headers included.
      const reason = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new SourceError('transient', scrubSecrets(`cannot reach FullSession at ${url.origin} for ${where}: ${reason?.code ?? reason?.message ?? (error as Error).message}`), { reason: 'network' });
    }
  }
}
