import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { constants, createGzip } from 'node:zlib';
import { generateHour, HOUR_MS, toNdjsonLine, type OrgSpec } from './event-generator.js';
import { seededRandom } from '../random.js';
import { FullStoryFaults, type StorageFault } from './fullstory-faults.js';

export interface SandboxKey {
  key: string;
  orgId: string;
  /** USER (Standard), ARCHITECT or ADMIN. */
  role: string;
  email: string;
}

export interface FullStorySandboxOptions {
  orgs: OrgSpec[];
  keys: SandboxKey[];
  /** Polls an export stays PENDING before it is COMPLETED. Default 2. */
  pendingPolls?: number;
  /** Each export stays PENDING for up to this many polls more, by a seeded chance (FullStory's export time varies). Default 0. */
  pendingPollsSpread?: number;
  /** How long a results location stays valid. Default 5 minutes. */
  locationTtlMs?: number;
}

/** One request as the sandbox saw it, for exact request counts in tests. */
export interface FullStoryRequest {
  method: string;
  path: string;
  /** The org of the key (API calls) or of the export (file downloads); null when neither is known. */
  orgId: string | null;
  status: number;
  /** Whether it carried an Authorization header. */
  authorized: boolean;
  /** The fault the sandbox answered with instead of the truth, if any. */
  fault?: StorageFault | '503';
  /** When it arrived (Unix ms). */
  at: number;
}

interface Operation {
  orgId: string;
  type: 'TYPE_EVENT' | 'TYPE_INDIVIDUAL';
  start: number;
  end: number;
  polls: number;
  /** Polls it answers PENDING before it completes. */
  pendingPolls: number;
  /** The gzip file, written while the operation is pending; set once complete. */
  file: string | null;
  /** Set when the operation is to end FAILED, with these details. */
  fails: string | null;
}

/**
 * FullStory's Server API over real HTTP on 127.0.0.1, as the reference
 * describes it: `Authorization: Basic <raw key>`, `GET /me` with the key's
 * role, segment exports that stay PENDING for a few polls, results whose
 * signed location expires, and gzip NDJSON files with ids beyond 2^53.
 * Ground truth for tests comes from `events`.
 */
export class FullStorySandbox {
  readonly requests: FullStoryRequest[] = [];
  /** Added to every answer, so that a test can kill a worker in the middle of a run. */
  latencyMs = 0;
  /** 503s from the API, and 503s, resets and stalls from the file storage. */
  readonly faults = new FullStoryFaults();
  /** Polls an export created from now on stays PENDING before it is COMPLETED. */
  pendingPolls: number;
  private readonly keys = new Map<string, SandboxKey>();
  private readonly revoked = new Map<string, string>();
  private readonly late = new Map<string, Array<Record<string, unknown>>>();
  private readonly operations = new Map<string, Operation>();
  private readonly locations = new Map<string, { operationId: string; expiresAt: number }>();
  private readonly files = mkdtempSync(join(tmpdir(), 'fullstory-sandbox-'));
  /** Draws how long each export takes, the same on every run. */
  private readonly exportTime = seededRandom(7);
  private rateLimited: { left: number; retryAfterSeconds: number } = { left: 0, retryAfterSeconds: 0 };
  private failing: { left: number; errorDetails: string } = { left: 0, errorDetails: '' };

  private constructor(
    private readonly options: FullStorySandboxOptions,
    private readonly server: Server,
    readonly url: string,
  ) {
    for (const key of options.keys) this.keys.set(key.key, key);
    this.pendingPolls = options.pendingPolls ?? 2;
  }

  static async start(options: FullStorySandboxOptions): Promise<FullStorySandbox> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const sandbox = new FullStorySandbox(options, server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    // A client that goes away mid-request (a killed worker) is no error of the sandbox's.
    server.on('request', (req, res) => void sandbox.handle(req, res).catch(() => res.destroy()));
    return sandbox;
  }

  /** Every event of an org that started in [start, end), ids as text. */
  events(orgId: string, start: number, end: number): Array<Record<string, unknown>> {
    const org = this.options.orgs.find((candidate) => candidate.orgId === orgId);
    if (!org) throw new Error(`sandbox has no org ${orgId}`);
    const rows = (this.late.get(orgId) ?? []).filter((row) => Date.parse(row.EventStart as string) >= start && Date.parse(row.EventStart as string) < end);
    for (let hour = Math.floor(start / HOUR_MS) * HOUR_MS; hour < end; hour += HOUR_MS) {
      for (const row of generateHour(org, hour)) {
        const at = Date.parse(row.EventStart as string);
        if (at >= start && at < end) rows.push(row);
      }
    }
    return rows;
  }

  /**
   * The individuals seen in [start, end), as an individuals export has them:
   * figures from their events (each generated user's events lie in one hour,
   * so over hour-aligned ranges these are all of them), ids as text.
   */
  individuals(orgId: string, start: number, end: number): Array<Record<string, unknown>> {
    const byId = new Map<string, Array<Record<string, unknown>>>();
    for (const event of this.events(orgId, start, end)) byId.set(String(event.IndvId), [...(byId.get(String(event.IndvId)) ?? []), event]);
    return [...byId].map(([indvId, events]) => individualOf(indvId, events));
  }

  /** Events that arrive late: from now on exports of their time hold them too, as FullStory's do once they settle. */
  addLateEvents(orgId: string, rows: Array<Record<string, unknown>>): void {
    this.late.set(orgId, [...(this.late.get(orgId) ?? []), ...rows]);
  }

  /** Revokes a key: from now on it gets 401 (its requests still count for its org). */
  revokeKey(key: string): void {
    const revoked = this.keys.get(key);
    if (revoked) this.revoked.set(key, revoked.orgId);
    this.keys.delete(key);
  }

  /** The next `count` API requests (not file downloads) answer 429 with `Retry-After: retryAfterSeconds`, as FullStory's burst limit does. */
  rateLimitNext(count: number, retryAfterSeconds: number): void {
    this.rateLimited = { left: count, retryAfterSeconds };
  }

  /** The next `count` exports created end FAILED with these details instead of COMPLETED. */
  failNextExports(count: number, errorDetails: string): void {
    this.failing = { left: count, errorDetails };
  }

  /** Makes every results location handed out so far expire now. */
  expireLocations(): void {
    for (const location of this.locations.values()) location.expiresAt = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.files, { recursive: true, force: true });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const entry: FullStoryRequest = { method: req.method ?? 'GET', path: url.pathname, orgId: null, status: 0, authorized: req.headers.authorization !== undefined, at: Date.now() };
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    this.requests.push(entry);
    const reply = (status: number, body: unknown) => {
      entry.status = status;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const download = /^\/_files\/([\w-]+)$/.exec(url.pathname);
    if (download) return this.download(download[1]!, req, res, entry);
    if (this.faults.apiFault()) {
      entry.fault = '503';
      return reply(503, { message: 'Service Unavailable', code: 'unavailable' });
    }
    // FullStory wants the raw key after "Basic", not base64 of user:password.
    const presented = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const key = this.keys.get(presented);
    if (!key) {
      entry.orgId = this.revoked.get(presented) ?? null;
      return reply(401, { message: 'Unauthorized', code: 'unauthorized' });
    }
    entry.orgId = key.orgId;
    if (this.rateLimited.left > 0) {
      this.rateLimited.left -= 1;
      entry.status = 429;
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(this.rateLimited.retryAfterSeconds) }).end(JSON.stringify({ message: 'Too many requests', code: 'too_many_requests' }));
      return;
    }
    if (req.method === 'GET' && url.pathname === '/me') return reply(200, { email: key.email, orgId: key.orgId, role: key.role });
    if (req.method === 'POST' && url.pathname === '/segments/v1/exports') return this.createExport(key, await readBody(req), reply);
    const operation = /^\/operations\/v1\/([\w-]+)$/.exec(url.pathname);
    if (req.method === 'GET' && operation) return this.poll(key, operation[1]!, reply);
    const results = /^\/search\/v1\/exports\/sx-([\w-]+)\/results$/.exec(url.pathname);
    if (req.method === 'GET' && results) return this.locate(key, results[1]!, reply);
    reply(404, { message: 'Not found', code: 'not_found' });
  }

  private createExport(key: SandboxKey, text: string, reply: (status: number, body: unknown) => void): void {
    if (key.role === 'USER') return reply(403, { message: 'Forbidden: exports need Architect or Admin', code: 'forbidden' });
    const body = safeJson(text) as { segmentId?: string; type?: string; format?: string; timeRange?: { start?: string; end?: string }; segmentTimeRange?: unknown } | null;
    const start = Date.parse(body?.timeRange?.start ?? '');
    const end = Date.parse(body?.timeRange?.end ?? '');
    if (body?.segmentId !== 'everyone' || (body.type !== 'TYPE_EVENT' && body.type !== 'TYPE_INDIVIDUAL') || body.format !== 'FORMAT_NDJSON' || !(end > start) || body.segmentTimeRange === undefined) {
      return reply(400, { message: 'Invalid export request', code: 'invalid_argument' });
    }
    const operationId = randomBytes(6).toString('hex');
    const fails = this.failing.left > 0 ? this.failing.errorDetails : null;
    if (fails !== null) this.failing.left -= 1;
    const spread = Math.floor(this.exportTime() * ((this.options.pendingPollsSpread ?? 0) + 1));
    const operation: Operation = { orgId: key.orgId, type: body.type, start, end, polls: 0, pendingPolls: this.pendingPolls + spread, file: null, fails };
    this.operations.set(operationId, operation);
    // A sandbox closed while a file is written has nobody left to serve it to.
    this.writeExportFile(operationId, operation).catch(() => {});
    reply(200, { operationId });
  }

  private poll(key: SandboxKey, operationId: string, reply: (status: number, body: unknown) => void): void {
    const operation = this.operations.get(operationId);
    if (!operation || operation.orgId !== key.orgId) return reply(404, { message: 'Not found', code: 'not_found' });
    operation.polls += 1;
    const pending = operation.pendingPolls;
    if (operation.polls <= pending || operation.file === null) return reply(200, { id: operationId, type: 'SEARCH_EXPORT', state: 'PENDING', estimatePctComplete: Math.round((operation.polls / (pending + 1)) * 100) });
    if (operation.fails !== null) return reply(200, { id: operationId, type: 'SEARCH_EXPORT', state: 'FAILED', estimatePctComplete: 0, errorDetails: operation.fails });
    reply(200, { id: operationId, type: 'SEARCH_EXPORT', state: 'COMPLETED', estimatePctComplete: 100, results: { searchExportId: `sx-${operationId}`, expires: new Date(Date.now() + HOUR_MS).toISOString() } });
  }

  private locate(key: SandboxKey, operationId: string, reply: (status: number, body: unknown) => void): void {
    const operation = this.operations.get(operationId);
    if (!operation || operation.orgId !== key.orgId) return reply(404, { message: 'Not found', code: 'not_found' });
    const token = randomBytes(8).toString('hex');
    const expiresAt = Date.now() + (this.options.locationTtlMs ?? 5 * 60_000);
    this.locations.set(token, { operationId, expiresAt });
    reply(200, { location: `${this.url}/_files/${token}`, expires: new Date(expiresAt).toISOString() });
  }

  /** The signed location: like a storage host, it refuses an Authorization header and an expired signature. */
  private download(token: string, req: IncomingMessage, res: ServerResponse, entry: FullStoryRequest): void {
    const location = this.locations.get(token);
    const operation = location && this.operations.get(location.operationId);
    entry.orgId = operation?.orgId ?? null;
    entry.status = req.headers.authorization ? 400 : !location || !operation?.file || location.expiresAt < Date.now() ? 403 : 200;
    if (entry.status !== 200 || !operation) {
      res.writeHead(entry.status, { 'content-type': 'application/xml' }).end(`<Error><Code>${entry.status === 400 ? 'InvalidArgument' : 'AccessDenied'}</Code></Error>`);
      return;
    }
    const fault = this.faults.storageFault();
    if (fault) return storageFault(fault, operation.file as string, res, entry);
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    void pipeline(createReadStream(operation.file as string), res).catch(() => res.destroy());
  }

  /**
   * Writes the export's gzip file an hour of events at a time, as FullStory
   * prepares one while the operation is pending: the file is a snapshot of
   * what the org held when the export was created.
   */
  private async writeExportFile(operationId: string, operation: Operation): Promise<void> {
    const path = join(this.files, `${operationId}.ndjson.gz`);
    const { orgId, start, end } = operation;
    const events = this.events.bind(this);
    const individuals = this.individuals.bind(this);
    async function* lines() {
      if (operation.type === 'TYPE_INDIVIDUAL') {
        yield individuals(orgId, start, end).map((row) => `${toNdjsonLine(row)}\n`).join('');
        return;
      }
      for (let hour = Math.floor(start / HOUR_MS) * HOUR_MS; hour < end; hour += HOUR_MS) {
        yield events(orgId, Math.max(start, hour), Math.min(end, hour + HOUR_MS)).map((row) => `${toNdjsonLine(row)}\n`).join('');
      }
    }
    await pipeline(lines, createGzip({ level: constants.Z_BEST_SPEED }), createWriteStream(path));
    operation.file = path;
  }
}

/** A storage host's bad moment: a 503, or half of the file and then a dropped or silent connection. */
function storageFault(fault: StorageFault, file: string, res: ServerResponse, entry: FullStoryRequest): void {
  entry.fault = fault;
  if (fault === '503') {
    entry.status = 503;
    res.writeHead(503, { 'content-type': 'application/xml', 'retry-after': '1' }).end('<Error><Code>SlowDown</Code></Error>');
    return;
  }
  entry.status = 200;
  const bytes = readFileSync(file);
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
  // A stalled connection stays open until the client gives up (or the sandbox closes).
  if (fault === 'reset') setTimeout(() => res.destroy(), 50);
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** One individual's export row, from its events. */
function individualOf(indvId: string, events: Array<Record<string, unknown>>): Record<string, unknown> {
  const byTime = [...events].sort((a, b) => String(a.EventStart).localeCompare(String(b.EventStart)));
  const first = byTime[0]!;
  const last = byTime.at(-1)!;
  const span = (Date.parse(String(last.EventStart)) - Date.parse(String(first.EventStart))) / 1000;
  return {
    IndvId: indvId,
    Created: first.EventStart,
    DisplayName: first.UserDisplayName,
    Email: first.UserEmail,
    NumSessions: new Set(events.map((event) => event.SessionId)).size,
    NumPages: new Set(events.map((event) => event.PageId)).size,
    NumEvents: events.length,
    TotalSec: span,
    ActiveSec: Math.round(span * 0.6 * 10) / 10,
    LastSessionStart: last.SessionStart,
    LastEventStart: last.EventStart,
    LastPage: last.PageUrl,
    LastBrowser: last.PageBrowser,
    LastDevice: last.PageDevice,
    LastPlatform: last.PagePlatform,
    LastOperatingSystem: last.PageOperatingSystem,
  };
}
