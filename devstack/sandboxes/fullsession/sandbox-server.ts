import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { obfuscateKey } from '../../../config/secret.js';
import { FaultSwitch, type FaultKind } from './sandbox-faults.js';
import { generateHour, HOUR_MS, type SandboxSession, type SiteSpec } from './session-generator.js';
import { SlidingWindowLimit } from './sliding-window-limit.js';

export interface SandboxToken {
  token: string;
  customerId: string;
  /** 'all' or the site ids this token may read. */
  sites: 'all' | string[];
}

export interface SandboxOptions {
  sites: SiteSpec[];
  tokens: SandboxToken[];
  /** No session starts before this instant. */
  activeFrom: number;
  /** Fixed clock to start with; omitted means real time. */
  now?: number;
  pageSize?: number;
  /** Requests per sliding minute; null turns the limit off. Default 20. */
  limitPerMinute?: number | null;
  port?: number;
}

/** One API request as the sandbox saw it, for exact request counts in tests. */
export interface RequestLogEntry {
  at: number;
  siteId: string;
  status: number;
  credential: string;
  startTime: number | null;
  endTime: number | null;
  cursor: string | null;
  sessions: number;
  fault: FaultKind | null;
}

const RECENT_HOURS = 16;
const API_PATH = /^\/v1\/external\/sessions\/([^/]+)\/([^/]+)$/;
const TRUTH_PATH = /^\/_sandbox\/ground-truth\/([^/]+)\/([^/]+)$/;

/**
 * A FullSession API over real HTTP on 127.0.0.1, serving deterministic
 * generated sessions with the documented contract (201, up to 1000 a page,
 * `startAfter` cursor, both time filters), site-scoped Bearer tokens, a
 * global sliding-minute limit with 429 + Retry-After, a controllable clock
 * (sessions are invisible until they end) and switchable faults.
 */
export class FullSessionSandbox {
  readonly faults = new FaultSwitch();
  readonly requests: RequestLogEntry[] = [];
  private readonly limit: SlidingWindowLimit;
  private readonly tokens = new Map<string, SandboxToken>();
  private fixedNow: number | undefined;
  private readonly recentHours = new Map<string, SandboxSession[]>();
  /** Cursors handed out per query, for `faults.paging = 'cycle'`. */
  private readonly cursorsHandedOut = new Map<string, number[]>();

  private constructor(
    private readonly options: SandboxOptions,
    private readonly server: Server,
    readonly url: string,
  ) {
    this.limit = new SlidingWindowLimit(options.limitPerMinute === undefined ? 20 : options.limitPerMinute);
    this.fixedNow = options.now;
    for (const token of options.tokens) this.tokens.set(token.token, token);
  }

  static async start(options: SandboxOptions): Promise<FullSessionSandbox> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const sandbox = new FullSessionSandbox(options, server, `http://127.0.0.1:${port}`);
    server.on('request', (req, res) => void sandbox.handle(req, res));
    return sandbox;
  }

  now(): number {
    return this.fixedNow ?? Date.now();
  }

  /** Moves the sandbox clock; sessions that have ended by then become visible. */
  setNow(ms: number): void {
    this.fixedNow = ms;
  }

  setLimitPerMinute(perMinute: number | null): void {
    this.limit.perMinute = perMinute;
  }

  addToken(token: SandboxToken): void {
    this.tokens.set(token.token, token);
  }

  /** Deletes a token: from now on it gets 401, as in FullSession. */
  revokeToken(token: string): void {
    this.tokens.delete(token);
  }

  /** Every session of a site that has ended by now with its end in [endFrom, endTo). */
  groundTruth(customerId: string, siteId: string, endFrom: number, endTo: number): SandboxSession[] {
    const site = this.site(customerId, siteId);
    if (!site) throw new Error(`sandbox has no site ${customerId}/${siteId}`);
    const visibleTo = Math.min(endTo, this.now() + 1);
    return this.sessionsStartingBetween(site, endFrom - site.maxSessionDurationMs, visibleTo).filter(
      (s) => s.endTime >= endFrom && s.endTime < visibleTo,
    );
  }

  /** API requests that were answered (not 429), for budget checks. */
  apiRequestCount(): number {
    return this.requests.filter((r) => r.status !== 429).length;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private site(customerId: string, siteId: string): SiteSpec | undefined {
    return this.options.sites.find((s) => s.customerId === customerId && s.siteId === siteId);
  }

  private sessionsStartingBetween(site: SiteSpec, from: number, to: number): SandboxSession[] {
    return [...this.sessionsFrom(site, from, to)];
  }

  /** Sessions starting in [from, to) in start order, generated an hour at a time, as far as the caller reads. */
  private *sessionsFrom(site: SiteSpec, from: number, to: number): Generator<SandboxSession> {
    const first = Math.floor(Math.max(from, this.options.activeFrom) / HOUR_MS) * HOUR_MS;
    for (let hour = first; hour < to; hour += HOUR_MS) {
      for (const session of this.hour(site, hour)) {
        if (session.startTime >= from && session.startTime < to) yield session;
      }
    }
  }

  /** Generating an hour is the sandbox's main cost at benchmark densities; the last few are kept. */
  private hour(site: SiteSpec, hourStart: number): SandboxSession[] {
    const key = `${site.customerId}/${site.siteId}/${hourStart}`;
    let sessions = this.recentHours.get(key);
    if (!sessions) {
      sessions = generateHour(site, hourStart);
      this.recentHours.set(key, sessions);
      if (this.recentHours.size > RECENT_HOURS) this.recentHours.delete(this.recentHours.keys().next().value as string);
    }
    return sessions;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const api = API_PATH.exec(url.pathname);
    if (req.method === 'GET' && api) return this.handleApi(req, res, url, decodeURIComponent(api[1]!), decodeURIComponent(api[2]!));
    const truth = TRUTH_PATH.exec(url.pathname);
    if (req.method === 'GET' && truth) {
      const sessions = this.groundTruth(decodeURIComponent(truth[1]!), decodeURIComponent(truth[2]!), Number(url.searchParams.get('endFrom')), Number(url.searchParams.get('endTo')));
      return send(res, 200, { sessions: sessions.map((s) => s.json) });
    }
    send(res, 404, { status: 404, message: 'not found' });
  }

  private async handleApi(req: IncomingMessage, res: ServerResponse, url: URL, customerId: string, siteId: string): Promise<void> {
    const entry: RequestLogEntry = {
      at: Date.now(),
      siteId,
      status: 0,
      credential: '',
      startTime: numberParam(url, 'startTime'),
      endTime: numberParam(url, 'endTime'),
      cursor: url.searchParams.get('startAfter'),
      sessions: 0,
      fault: null,
    };
    this.requests.push(entry);
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    entry.credential = token ? obfuscateKey(token) : '';
    const wait = this.limit.take(Date.now());
    if (wait > 0) {
      entry.status = 429;
      res.setHeader('retry-after', String(Math.ceil(wait / 1000)));
      return send(res, 429, { status: 429, message: 'Too many requests' });
    }
    const grant = this.tokens.get(token);
    if (!grant || grant.customerId !== customerId) return this.reject(res, entry, 401, 'Unauthorized');
    const site = this.site(customerId, siteId);
    if (!site) return this.reject(res, entry, 404, 'Site not found');
    if (grant.sites !== 'all' && !grant.sites.includes(siteId)) return this.reject(res, entry, 403, 'Forbidden');
    if ([entry.startTime, entry.endTime].some((v) => Number.isNaN(v)) || (entry.cursor !== null && !/^\d+$/.test(entry.cursor))) {
      return this.reject(res, entry, 400, 'Bad request');
    }
    entry.fault = this.faults.next() ?? null;
    await this.faults.passHold(entry);
    await this.answer(req, res, entry, site);
  }

  private reject(res: ServerResponse, entry: RequestLogEntry, status: number, message: string): void {
    entry.status = status;
    send(res, status, { status, message });
  }

  private async answer(req: IncomingMessage, res: ServerResponse, entry: RequestLogEntry, site: SiteSpec): Promise<void> {
    switch (entry.fault) {
      case 'drop':
        res.socket?.destroy();
        return;
      case 'server_error':
        entry.status = 503;
        res.writeHead(503, { 'content-type': 'text/html' }).end('<html><body>503 Service Unavailable</body></html>');
        return;
      case 'non_json':
        entry.status = 201;
        res.writeHead(201, { 'content-type': 'text/html' }).end('<html><body>Maintenance</body></html>');
        return;
      case 'rate_limited':
        entry.status = 429;
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': this.faults.retryAfter() }).end(JSON.stringify({ status: 429, message: 'Too many requests' }));
        return;
      case 'latency':
        await new Promise((resolve) => setTimeout(resolve, this.faults.latencyMs));
        break;
      case 'echo_headers':
        entry.status = 400;
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 400, message: 'Bad request', request: { headers: req.headers } }));
        return;
      case 'echo_headers_html':
        entry.status = 201;
        res.writeHead(201, { 'content-type': 'text/html' }).end(`<html><body>Proxy error. Request headers: ${JSON.stringify(req.headers)}</body></html>`);
        return;
      case 'gzip_bomb':
        entry.status = 201;
        res.writeHead(201, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipBomb(this.faults.gzipBombBytes));
        return;
    }
    const body = this.page(site, entry);
    entry.status = 201;
    const text = JSON.stringify(body);
    if (entry.fault === 'truncate') {
      res.writeHead(201, { 'content-type': 'application/json' }).end(text.slice(0, Math.floor(text.length / 2)));
      return;
    }
    res.writeHead(201, { 'content-type': 'application/json' }).end(text);
  }

  private page(site: SiteSpec, entry: RequestLogEntry) {
    const now = this.now();
    const startTime = entry.startTime ?? this.options.activeFrom;
    const endTime = Math.min(entry.endTime ?? now, now);
    const after = entry.cursor === null ? -Infinity : Number(entry.cursor);
    if (this.faults.paging === 'endless_empty') return { status: 201, message: 'success', data: { ...this.misbehavingCursor(entry, undefined), sessions: [] } };
    const pageSize = entry.fault === 'short_page' ? Math.ceil((this.options.pageSize ?? 1000) / 3) : this.options.pageSize ?? 1000;
    // One more than a page tells whether another page follows.
    const matching: SandboxSession[] = [];
    for (const session of this.sessionsFrom(site, Math.max(startTime, after + 1), endTime + 1)) {
      if (session.endTime <= endTime) matching.push(session);
      if (matching.length > pageSize) break;
    }
    const page = matching.slice(0, pageSize);
    entry.sessions = page.length;
    const sessions: unknown[] = shuffled(page.map((s) => s.json));
    if (entry.fault === 'bad_record') {
      sessions.push({ userId: 'no-id', startTime: startTime, endTime: startTime + 1000 }, { uuid: `bad-${startTime}`, startTime: 'yesterday', endTime: 'today' });
    }
    const more = matching.length > page.length;
    const startAfter = more ? page[page.length - 1]!.startTime : undefined;
    return { status: 201, message: 'success', data: { ...this.misbehavingCursor(entry, startAfter), sessions } };
  }

  /** The page's `startAfter` as `faults.paging` would have it; by default the honest one. */
  private misbehavingCursor(entry: RequestLogEntry, startAfter: number | undefined): { startAfter?: number } {
    const paging = this.faults.paging;
    if (paging === 'endless_empty') return { startAfter: (entry.cursor === null ? entry.startTime ?? 0 : Number(entry.cursor)) + 1 };
    if (paging === 'cycle') {
      const query = `${entry.siteId}/${entry.startTime}/${entry.endTime}`;
      const handedOut = this.cursorsHandedOut.get(query) ?? [];
      this.cursorsHandedOut.set(query, handedOut);
      if (handedOut.length >= 2) return { startAfter: handedOut[0] };
      if (startAfter !== undefined) handedOut.push(startAfter);
    }
    return startAfter === undefined ? {} : { startAfter };
  }
}

function numberParam(url: URL, name: string): number | null {
  const value = url.searchParams.get(name);
  return value === null ? null : /^\d+$/.test(value) ? Number(value) : Number.NaN;
}

/** A stable shuffle: callers must not depend on the order of sessions in a page. */
function shuffled<T>(items: T[]): T[] {
  return items.map((item, i) => ({ item, key: (i * 2_654_435_761) % 4_294_967_296 })).sort((a, b) => a.key - b.key).map((x) => x.item);
}

/**
 * A gzip body that expands to about `bytes` of a JSON page padded with
 * spaces: small on the wire, huge once read. Built from concatenated gzip
 * members (which decompress as one stream), so making it costs no memory.
 */
function gzipBomb(bytes: number): Buffer {
  const block = 16 << 20;
  const spaces = gzipSync(Buffer.alloc(block, ' '), { level: 9 });
  const members = [gzipSync('{"data":{"sessions":[')];
  for (let written = 0; written < bytes; written += block) members.push(spaces);
  members.push(gzipSync(']}}'));
  return Buffer.concat(members);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
