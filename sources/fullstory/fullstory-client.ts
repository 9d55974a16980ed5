import { scrubSecrets, type Secret } from '../../config/secret.js';
import { BodyTooLargeError, readCappedText } from '../http/capped-body.js';
import { excerpt } from '../http/excerpt.js';
import type { RateGate } from '../http/rate-budget.js';
import { retryAfterMs } from '../http/retry-after.js';
import { SourceError } from '../source-error.js';
import { fullStoryErrorForStatus, type KeySubject } from './fullstory-error.js';
import { downloadExportFile } from './export-file-download.js';

export interface FullStoryClientOptions {
  /** The API host for this key (see apiBaseUrlFor). */
  baseUrl: string;
  credentialName: string;
  key: Secret;
  requestTimeoutMs: number;
  /** Larger API answers (not export files, which are streamed) are refused. */
  maxResponseBytes: number;
  /** An export file's download fails when its storage host sends nothing for this long. */
  downloadIdleTimeoutMs: number;
  rateGate: RateGate;
}

/** What `GET /me` says of a key. */
export interface KeyOwner {
  email: string;
  orgId: string;
  role: string;
}

/** What a segment export holds: one row per event, or per individual (user). */
export type ExportType = 'TYPE_EVENT' | 'TYPE_INDIVIDUAL';

/** An asynchronous export as `GET /operations/v1/{id}` reports it. */
export interface ExportOperation {
  state: 'PENDING' | 'COMPLETED' | 'FAILED';
  estimatePctComplete: number;
  /** Present once COMPLETED. */
  searchExportId: string | null;
  errorDetails: string | null;
}

/**
 * Client for the FullStory Server API calls session-sync makes: who a key
 * is (`/me`), and the segment export of events or individuals by window (create, poll,
 * locate, download). `Authorization: Basic <raw key>`, as FullStory wants;
 * the signed download location gets no Authorization header.
 */
export class FullStoryClient {
  constructor(private readonly options: FullStoryClientOptions) {}

  async me(): Promise<KeyOwner> {
    const body = (await this.call('GET', '/me')) as Partial<KeyOwner>;
    return { email: String(body.email ?? ''), orgId: String(body.orgId ?? ''), role: String(body.role ?? 'UNKNOWN') };
  }

  /**
   * Starts an export of the `everyone` segment for [start, end): its events
   * that started then (TYPE_EVENT), or its individuals seen then
   * (TYPE_INDIVIDUAL). The segment's own time range is sent too: without it
   * the segment covers only recent users.
   */
  async createExport(type: ExportType, window: { start: number; end: number }): Promise<string> {
    const timeRange = { start: new Date(window.start).toISOString(), end: new Date(window.end).toISOString() };
    const body = (await this.call('POST', '/segments/v1/exports', {
      segmentId: 'everyone',
      type,
      format: 'FORMAT_NDJSON',
      timeRange,
      segmentTimeRange: timeRange,
      timezone: 'UTC',
    })) as { operationId?: unknown };
    if (typeof body.operationId !== 'string') throw malformed('the export answer has no operationId');
    return body.operationId;
  }

  async operation(operationId: string): Promise<ExportOperation> {
    const body = (await this.call('GET', `/operations/v1/${encodeURIComponent(operationId)}`)) as {
      state?: unknown;
      estimatePctComplete?: unknown;
      errorDetails?: unknown;
      results?: { searchExportId?: unknown };
    };
    if (body.state !== 'PENDING' && body.state !== 'COMPLETED' && body.state !== 'FAILED') throw malformed(`the operation's state is ${JSON.stringify(body.state)}`);
    const searchExportId = typeof body.results?.searchExportId === 'string' ? body.results.searchExportId : null;
    if (body.state === 'COMPLETED' && searchExportId === null) throw malformed('a completed operation names no searchExportId');
    return {
      state: body.state,
      estimatePctComplete: typeof body.estimatePctComplete === 'number' ? body.estimatePctComplete : 0,
      searchExportId,
      errorDetails: typeof body.errorDetails === 'string' ? scrubSecrets(body.errorDetails) : null,
    };
  }

  /** The export file's signed location; it expires within minutes, so ask again rather than keep it. */
  async exportLocation(searchExportId: string): Promise<string> {
    const body = (await this.call('GET', `/search/v1/exports/${encodeURIComponent(searchExportId)}/results`)) as { location?: unknown };
    if (typeof body.location !== 'string' || !URL.canParse(body.location)) throw malformed('the export results name no location');
    return body.location;
  }

  /**
   * Streams the export file's lines from its signed location (see
   * export-file-download.ts): gunzipped, one JSON object a line, as text
   * (parse with parseLosslessJson: ids exceed 2^53), in batches: the lines
   * each downloaded chunk completes. Memory holds one chunk and its lines.
   */
  downloadLines(location: string, signal?: AbortSignal): AsyncGenerator<string[]> {
    return downloadExportFile(location, { idleTimeoutMs: this.options.downloadIdleTimeoutMs, ...(signal ? { signal } : {}) });
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    return this.options.rateGate(async () => {
      const { status, headers, text } = await this.request(method, path, body);
      if (status < 200 || status > 299) throw fullStoryErrorForStatus(status, this.subject(), retryAfterMs(headers.get('retry-after'), Date.now()), excerpt(text));
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw malformed(`the answer to ${method} ${path} is not JSON. Body starts: ${excerpt(text)}`);
      }
    });
  }

  private async request(method: string, path: string, body: unknown) {
    const url = new URL(path, this.options.baseUrl);
    try {
      const response = await fetch(url, {
        method,
        headers: { authorization: `Basic ${this.options.key.reveal()}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs),
      });
      return { status: response.status, headers: response.headers, text: await readCappedText(response, this.options.maxResponseBytes) };
    } catch (error) {
      if (error instanceof BodyTooLargeError) throw malformed(`the answer to ${method} ${path} exceeds ${error.maxBytes} bytes`);
      const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      // No cause kept: Node's errors may quote the request, headers included.
      throw new SourceError('transient', scrubSecrets(`cannot reach FullStory at ${url.origin}: ${reason}`), { reason: reason === 'TimeoutError' ? 'timeout' : 'network' });
    }
  }

  private subject(): KeySubject {
    return { credentialName: this.options.credentialName, obfuscatedKey: this.options.key.obfuscated, apiOrigin: new URL(this.options.baseUrl).origin };
  }
}

function malformed(reason: string): SourceError {
  return new SourceError('bad_data', `FullStory sent a malformed answer: ${reason}`, { reason: 'malformed' });
}
