import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Logger } from '../logging/logger.js';
import type { KeyVerifier } from './key-verifier.js';
import { registerMcpTools, type CallerKey, type McpToolDeps } from './mcp-tools.js';
import { CallSlots } from './call-slots.js';
import { newErrorId } from '../logging/error-id.js';
import { PerKeyRateLimit } from './per-key-rate-limit.js';

export interface McpHttpServerOptions {
  host: string;
  port: number;
  /** Origins allowed besides the server's own (http://host:port, localhost and 127.0.0.1 forms). */
  allowedOrigins: readonly string[];
  /** Each JSON-RPC message counts, a batch's every call. */
  requestsPerMinute: number;
  /** Tool calls at once, over all requests: below the Postgres pool's size. */
  concurrentCalls: number;
  keys: KeyVerifier;
  tools: Omit<McpToolDeps, 'caller' | 'slots'>;
  version: string;
  log: Logger;
}

export interface McpHttpServer {
  url: string;
  close(): Promise<void>;
}

/** Request bodies larger than this are refused: a tool call is a few hundred bytes. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * The MCP server on Streamable HTTP at `/mcp`, stateless (a server and
 * transport per request). Before the SDK sees a request: its Origin must be
 * this server's own or an allowed one (DNS rebinding), its Host one of ours,
 * and its `Authorization: Bearer <key>` a live key (401 with
 * `WWW-Authenticate: Bearer` otherwise), its every JSON-RPC message within
 * the key's rate limit (429). Each refusal is logged.
 */
export async function startMcpHttpServer(options: McpHttpServerOptions): Promise<McpHttpServer> {
  const limits = new PerKeyRateLimit(options.requestsPerMinute);
  const slots = new CallSlots(options.concurrentCalls);
  const server = createServer((req, res) => void handle(options, limits, slots, req, res, address()));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const address = () => server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${address().port}/mcp`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(options: McpHttpServerOptions, limits: PerKeyRateLimit, slots: CallSlots, req: IncomingMessage, res: ServerResponse, address: AddressInfo): Promise<void> {
  // Every answer, the SDK's included: a browser never guesses another type than the one sent.
  res.setHeader('x-content-type-options', 'nosniff');
  const reply = (status: number, message: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(`${JSON.stringify({ error: message })}\n`);
  };
  /** A refusal, logged with who asked (address, key suffix if known) and why: a 3 a.m. operator greps for it. */
  const refuse = (status: number, message: string, key: CallerKey | null, headers: Record<string, string> = {}): void => {
    options.log.warn({ status, address: req.socket.remoteAddress, key: key ? `${key.name} (…/${key.suffix})` : null, reason: message }, 'mcp request refused');
    reply(status, message, headers);
  };
  try {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/mcp') return reply(404, 'not found: the MCP endpoint is /mcp');
    const own = ownOrigins(options.host, address.port);
    const origin = req.headers.origin;
    if (origin !== undefined && !own.includes(origin) && !options.allowedOrigins.includes(origin)) return refuse(403, `origin ${origin} is not allowed (DNS-rebinding protection); allow it with MCP_ALLOWED_ORIGINS`, null);
    if (!own.map((o) => new URL(o).host).includes(req.headers.host ?? '') && !options.allowedOrigins.some((o) => URL.canParse(o) && new URL(o).host === req.headers.host)) return refuse(403, `host ${req.headers.host ?? '(none)'} is not this server`, null);
    const presented = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const caller = presented ? await options.keys.verify(presented) : null;
    if (!caller) return refuse(401, 'a valid session-sync MCP key is required: send it as Authorization: Bearer <key> (create one with `session-sync mcp-keys create`)', null, { 'www-authenticate': 'Bearer realm="session-sync"' });
    const body = req.method === 'POST' ? await readJson(req) : undefined;
    if (body === TOO_LARGE) return refuse(413, `request body over ${MAX_BODY_BYTES} bytes`, caller);
    // Each JSON-RPC message is a call: a batch of 100 costs 100 of the key's minute.
    const calls = Array.isArray(body) ? Math.max(body.length, 1) : 1;
    const waitMs = limits.take(caller.name, calls);
    if (waitMs > 0) return refuse(429, `key ${caller.name} (…/${caller.suffix}) is over ${limits.perMinute} calls a minute${calls > 1 ? ` (this request holds ${calls})` : ''}`, caller, { 'retry-after': String(Math.ceil(waitMs / 1000)) });
    await serveMcp(options, slots, caller, req, res, body);
  } catch (error) {
    const errorId = newErrorId();
    options.log.error({ err: error, errorId }, 'mcp request failed');
    if (!res.headersSent) reply(500, `internal error (error id ${errorId}); the server log has the details`);
  }
}

/** One MCP exchange: a fresh server with the caller's tools, over a transport that answers in JSON. */
async function serveMcp(options: McpHttpServerOptions, slots: CallSlots, caller: CallerKey, req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
  const server = new McpServer({ name: 'session-sync', version: options.version });
  registerMcpTools(server, { ...options.tools, caller, slots });
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
}

/** The origins a browser on this machine uses for this server. */
function ownOrigins(host: string, port: number): string[] {
  const names = new Set([host.includes(':') ? `[${host}]` : host, 'localhost', '127.0.0.1', '[::1]']);
  return [...names].map((name) => `http://${name}:${port}`);
}

const TOO_LARGE = Symbol('too large');

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return TOO_LARGE;
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    // The SDK answers a body that is not JSON with its own parse error.
    return undefined;
  }
}
