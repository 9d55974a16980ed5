import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { Config } from '../config/load-config.js';
import type { SiteConfig } from '../config/site-config.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logging/logger.js';
import { formatDurationText, parseDuration } from '../config/duration.js';
import { pruneMcpAudit } from '../db/mcp-keys-repository.js';
import { CallSlots } from '../mcp/call-slots.js';
import { databaseKeyVerifier } from '../mcp/key-verifier.js';
import { startMcpHttpServer } from '../mcp/mcp-http-server.js';
import { registerMcpTools, type McpToolDeps } from '../mcp/mcp-tools.js';
import { closeAbandonedRuns } from '../operations/abandoned-runs.js';
import { siteCoverageStates } from '../read-model/site-coverage.js';
import { createSources } from '../sources/source-registry.js';
import { streamKeyOf } from '../workflows/stream-key.js';
import { startBackfill } from './backfill-command.js';
import { packageVersion } from './package-version.js';
import { lazyTemporalClient } from '../temporal/lazy-temporal-client.js';
import { UsageError } from './usage-error.js';

type Env = Record<string, string | undefined>;

export interface McpCommandOptions {
  host: string;
  port: number;
  stdio: boolean;
}

const VERSION = packageVersion();

/**
 * `session-sync mcp`: the MCP server over the copy, on Streamable HTTP at
 * /mcp (127.0.0.1 unless told otherwise) or on stdio for a local client
 * (its key in SESSION_SYNC_MCP_KEY). Runs until SIGINT or SIGTERM.
 */
export async function mcpCommand(config: Config, db: Kysely<Database>, env: Env, options: McpCommandOptions, log: Logger): Promise<void> {
  // Temporal is needed only when an operator key starts backfills.
  const temporal = lazyTemporalClient(config.temporal.connection);
  const tools: Tools = { db, config, log, sources: createSources({ config, credentials: new Map(), db }), backfillGaps: (site, from, to) => backfillGaps(config, db, temporal.get, site, from, to), now: Date.now };
  const keys = databaseKeyVerifier(db, env.MCP_KEY_PEPPER);
  const auditRetention = keepMcpAuditFor(db, auditRetentionMs(env.MCP_AUDIT_RETENTION), log);
  try {
    if (options.stdio) await serveStdio(tools, keys, env);
    else await serveHttp(tools, keys, env, options, log);
  } finally {
    auditRetention.stop();
    await temporal.close();
  }
}

type Tools = Omit<McpToolDeps, 'caller' | 'slots'>;

/**
 * Tool calls at once: the MCP server's pool has 4 connections (withDatabase
 * in cli/main.ts), and key lookups and audit writes need theirs while a
 * batch of slow queries runs.
 */
const CONCURRENT_TOOL_CALLS = 2;

async function serveHttp(tools: Tools, keys: ReturnType<typeof databaseKeyVerifier>, env: Env, options: McpCommandOptions, log: Logger): Promise<void> {
  const server = await startMcpHttpServer({
    host: options.host,
    port: options.port,
    allowedOrigins: (env.MCP_ALLOWED_ORIGINS ?? '').split(',').map((origin) => origin.trim()).filter(Boolean),
    requestsPerMinute: requestsPerMinute(env.MCP_RATE_LIMIT_PER_MINUTE),
    concurrentCalls: CONCURRENT_TOOL_CALLS,
    keys,
    tools,
    version: VERSION,
    log,
  }).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot listen on ${options.host}:${options.port} (${error.code ?? error.message}); pick another with --port or MCP_PORT`);
  });
  log.info({ url: server.url }, 'MCP server listening; clients send Authorization: Bearer <key>');
  await untilSignalled();
  await server.close();
}

/** A local client over stdio: its key comes from the environment, checked like an HTTP request's. */
async function serveStdio(tools: Tools, keys: ReturnType<typeof databaseKeyVerifier>, env: Env): Promise<void> {
  const caller = env.SESSION_SYNC_MCP_KEY ? await keys.verify(env.SESSION_SYNC_MCP_KEY) : null;
  if (!caller) throw new UsageError('--stdio needs a valid MCP key in SESSION_SYNC_MCP_KEY (create one with `session-sync mcp-keys create`)');
  const server = new McpServer({ name: 'session-sync', version: VERSION });
  registerMcpTools(server, { ...tools, caller, slots: new CallSlots(CONCURRENT_TOOL_CALLS) });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => (transport.onclose = resolve));
  await server.connect(transport);
  await Promise.race([closed, untilSignalled()]);
  await server.close();
}

function requestsPerMinute(text: string | undefined): number {
  const limit = Number(text ?? 120);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`MCP_RATE_LIMIT_PER_MINUTE "${text}" must be a whole number of requests a minute, 1 or more`);
  return limit;
}

const DEFAULT_AUDIT_RETENTION = '30d';
const AUDIT_PRUNE_EVERY_MS = 3_600_000;

function auditRetentionMs(text: string | undefined): number {
  const ms = parseDuration(text ?? DEFAULT_AUDIT_RETENTION);
  if (ms === undefined || ms === 0) throw new UsageError(`MCP_AUDIT_RETENTION "${text}" must be a duration like 30d or 12h`);
  return ms;
}

/**
 * mcp_audit keeps each call's arguments (search terms among them) for the
 * retention, not forever: older rows are deleted at start and every hour.
 */
function keepMcpAuditFor(db: Kysely<Database>, retentionMs: number, log: Logger): { stop(): void } {
  const prune = () =>
    void pruneMcpAudit(db, new Date(Date.now() - retentionMs)).then(
      (deleted) => deleted > 0 && log.info({ deleted, retention: formatDurationText(retentionMs) }, 'mcp_audit rows past their retention deleted'),
      (error: unknown) => log.warn({ err: error }, 'could not delete mcp_audit rows past their retention; will try again in an hour'),
    );
  prune();
  const timer = setInterval(prune, AUDIT_PRUNE_EVERY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

function untilSignalled(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

/**
 * backfill_gaps: a detached backfill of each missing or failed range of the
 * site in [from, to), after closing the runs Temporal ended unrecorded, as
 * `backfill --gaps` does.
 */
async function backfillGaps(config: Config, db: Kysely<Database>, temporal: () => Promise<Client>, site: SiteConfig, from: number, to: number) {
  await closeAbandonedRuns(db, await temporal(), streamKeyOf(site));
  const { states } = await siteCoverageStates(db, site, { from, to, now: Date.now() });
  const gaps = states.gaps.filter((gap) => gap.state !== 'running');
  const started: Array<{ workflowId: string; from: string; to: string }> = [];
  for (const gap of gaps) {
    const range = { from: new Date(gap.from).toISOString(), to: new Date(gap.to).toISOString() };
    const { workflowId } = await startBackfill(await temporal(), config, { site: `${site.customerId}/${site.siteId}`, ...range, force: false });
    started.push({ workflowId, ...range });
  }
  return { started, leftRunning: states.gaps.length - gaps.length };
}
