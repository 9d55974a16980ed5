import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { parseIsoInstant } from '../config/iso-instant.js';
import { lookupSite } from '../config/site-lookup.js';
import type { Config } from '../config/load-config.js';
import type { SiteConfig } from '../config/site-config.js';
import type { Database, McpKeyLevel } from '../db/database.js';
import { recordMcpCall } from '../db/mcp-keys-repository.js';
import { siteSyncFacts } from '../db/site-status-repository.js';
import { freshnessOf, freshnessThresholds } from '../read-model/freshness.js';
import { countSessions, getSession, searchSessions, type SessionCursor } from '../read-model/session-queries.js';
import { siteCoverageStates } from '../read-model/site-coverage.js';
import type { SourceRegistry } from '../sources/source-registry.js';
import { scrubSecrets } from '../config/secret.js';
import { newErrorId } from '../logging/error-id.js';
import type { Logger } from '../logging/logger.js';
import type { CallSlots } from './call-slots.js';
import { readOnly } from './read-only-transaction.js';

/** The key a request came with, as the tools know it: never the key itself. */
export interface CallerKey {
  name: string;
  suffix: string;
  level: McpKeyLevel;
}

export interface McpToolDeps {
  db: Kysely<Database>;
  config: Config;
  sources: SourceRegistry;
  caller: CallerKey;
  /** Shared by every request: tool calls at once, below the pool's size. */
  slots: CallSlots;
  /** Where a failure's details go; the caller gets its error id. */
  log: Logger;
  /** Starts backfills of a site's gaps in [from, to) and says what it started (the operator tool). */
  backfillGaps(site: SiteConfig, from: number, to: number): Promise<{ started: Array<{ workflowId: string; from: string; to: string }>; leftRunning: number }>;
  now(): number;
}

const MAX_LIMIT = 1000;
const DEFAULT_LIMIT = 100;
const EVENTS_PER_CALL = 200;

/** Text from a client: bounded, and no NUL, which Postgres text cannot hold. */
const text = (max: number) => z.string().max(max).refine((value) => !value.includes('\u0000'), { message: 'must not contain NUL' });
const site = text(200).describe('a configured site: its id (site-a, events) or customer/site');
const instant = text(40).describe('ISO-8601: a date (2026-03-01, midnight UTC) or a date-time with its zone (2026-03-01T12:00:00Z)');
const iso = z.string().nullable();

const sessionShape = z.object({
  sessionId: z.string(),
  source: z.string(),
  siteId: z.string(),
  startedAt: z.string(),
  endedAt: z.string(),
  userId: z.string().nullable(),
  email: z.string().nullable(),
  entryUrl: z.string().nullable(),
  device: z.string().nullable(),
  browser: z.string().nullable(),
  country: z.string().nullable(),
});

/** A tool failure the caller can act on; its message goes back as the tool's error. */
class ToolError extends Error {}

/**
 * The MCP tools over the copy. Every read runs in a READ ONLY transaction
 * as the reader role, every value bound, rows capped; there is no raw-SQL
 * tool. Each call is audited (the key's name and suffix, the tool, its
 * arguments, rows, time, error). Names and fields are fixed: clients script
 * against them.
 */
export function registerMcpTools(server: McpServer, deps: McpToolDeps): void {
  const tool = <I extends z.ZodRawShape, O extends z.ZodRawShape>(name: string, config: { description: string; input: I; output: O; level?: McpKeyLevel }, run: (args: z.infer<z.ZodObject<I>>) => Promise<{ result: z.infer<z.ZodObject<O>>; rows: number }>) => {
    server.registerTool(name, { description: config.description, inputSchema: config.input, outputSchema: config.output }, (async (args: z.infer<z.ZodObject<I>>) => {
      const started = performance.now();
      let rows: number | null = null;
      let error: string | null = null;
      try {
        if (config.level === 'operator' && deps.caller.level !== 'operator') {
          throw new ToolError(`${name} needs an operator key; key ${deps.caller.name} (…/${deps.caller.suffix}) is a standard key. Use an operator key, or raise this one with \`session-sync mcp-keys set-level ${deps.caller.name} operator\`.`);
        }
        const out = await deps.slots.run(() => run(args));
        rows = out.rows;
        return { content: [{ type: 'text' as const, text: JSON.stringify(out.result) }], structuredContent: out.result };
      } catch (thrown) {
        if (thrown instanceof ToolError) {
          error = thrown.message;
          return { content: [{ type: 'text' as const, text: error }], isError: true };
        }
        // Postgres's, the pool's or Temporal's own words stay in the log and the audit: they can name tables, hosts and roles.
        const errorId = newErrorId();
        error = `${name} failed (error id ${errorId}): ${scrubSecrets((thrown as Error).message)}`;
        deps.log.error({ err: thrown, errorId, tool: name, key: `${deps.caller.name} (…/${deps.caller.suffix})` }, 'mcp tool failed');
        return { content: [{ type: 'text' as const, text: `${name} failed (error id ${errorId}); the server log has the details` }], isError: true };
      } finally {
        await recordMcpCall(deps.db, { keyName: deps.caller.name, keySuffix: deps.caller.suffix, tool: name, arguments: args, rows, durationMs: performance.now() - started, error });
      }
    }) as never);
  };

  tool('list_sites', { description: 'Every configured site with the records stored, how far its copy is complete (watermark) and synced at all (freshUntil), and its last successful sync.', input: {}, output: { sites: z.array(z.object({ source: z.string(), customerId: z.string(), siteId: z.string(), records: z.number(), watermark: iso, freshUntil: iso, lastSuccessAt: iso })) } }, async () => {
    const sites = await readOnly(deps.db, async (trx) => {
      const facts = await siteSyncFacts(trx, deps.config.sites.sites);
      return Promise.all(
        deps.config.sites.sites.map(async (siteConfig, index) => {
          const { states } = await siteCoverageStates(trx, siteConfig, { now: deps.now() });
          return { source: siteConfig.source, customerId: siteConfig.customerId, siteId: siteConfig.siteId, records: await deps.sources.forSite(siteConfig).countStored(trx, siteConfig), watermark: isoOf(states.watermark), freshUntil: isoOf(states.freshUntil), lastSuccessAt: isoOf(facts[index]!.lastSuccessAt) };
        }),
      );
    });
    return { result: { sites }, rows: sites.length };
  });

  tool('search_sessions', {
    description: 'The sessions of a site that ENDED in [from, to), FullSession and FullStory alike, in end-time order; page with nextCursor until it is absent. Filters match literally and ignore case (% and _ are plain characters).',
    input: { site, from: instant, to: instant, userContains: text(200).optional(), emailContains: text(200).optional(), urlContains: text(200).optional(), limit: z.number().int().min(1).max(MAX_LIMIT).optional().describe(`at most ${MAX_LIMIT}, default ${DEFAULT_LIMIT}`), cursor: text(400).optional() },
    output: { sessions: z.array(sessionShape), nextCursor: z.string().optional() },
  }, async (args) => {
    const target = siteOf(args.site);
    const range = rangeOf(args.from, args.to);
    const limit = args.limit ?? DEFAULT_LIMIT;
    const cursor = args.cursor === undefined ? null : decodeCursor(args.cursor);
    const filters = { ...(args.userContains === undefined ? {} : { userContains: args.userContains }), ...(args.emailContains === undefined ? {} : { emailContains: args.emailContains }), ...(args.urlContains === undefined ? {} : { urlContains: args.urlContains }) };
    const page = await readOnly(deps.db, (trx) => searchSessions(trx, target, range, filters, limit, cursor));
    const last = page.sessions.at(-1);
    const result = { sessions: page.sessions, ...(page.more && last ? { nextCursor: encodeCursor({ endMs: Date.parse(last.endedAt), id: last.sessionId }) } : {}) };
    return { result, rows: page.sessions.length };
  });

  tool('get_session', {
    description: `One stored session with its raw payload; a FullStory session with its events as raw JSON text (ids beyond 2^53 exact), ${EVENTS_PER_CALL} at a time with their total and eventsCursor.`,
    input: { site, sessionId: text(300), eventsCursor: text(20).optional() },
    output: { session: z.record(z.string(), z.unknown()) },
  }, async (args) => {
    const target = siteOf(args.site);
    // Digits only, and few: Number('1e19') is an integer too, and Postgres's 'out of range' would answer it.
    if (args.eventsCursor !== undefined && !/^\d{1,9}$/.test(args.eventsCursor)) throw new ToolError(`eventsCursor "${args.eventsCursor}" is not one get_session gave`);
    const offset = args.eventsCursor === undefined ? 0 : Number(args.eventsCursor);
    const session = await readOnly(deps.db, (trx) => getSession(trx, target, args.sessionId, EVENTS_PER_CALL, offset));
    if (!session) throw new ToolError(`no session ${JSON.stringify(args.sessionId)} is stored for ${target.customerId}/${target.siteId}`);
    return { result: { session }, rows: 1 + (Array.isArray(session.events) ? session.events.length : 0) };
  });

  tool('count_sessions', {
    description: 'Sessions of a site that ended in [from, to), counted by UTC day or hour, device, browser or country.',
    input: { site, from: instant, to: instant, groupBy: z.enum(['day', 'hour', 'device', 'browser', 'country']) },
    output: { buckets: z.array(z.object({ key: z.string(), count: z.number() })) },
  }, async (args) => {
    const target = siteOf(args.site);
    const buckets = await readOnly(deps.db, (trx) => countSessions(trx, target, rangeOf(args.from, args.to), args.groupBy));
    return { result: { buckets }, rows: buckets.length };
  });

  tool('sync_status', {
    description: 'How complete and fresh each site is (or one): the watermark, freshUntil, freshness (fresh, late, stale or unknown), gaps, provisional ranges and what retention removed (expired), last success and failure; the same answers as `session-sync status` and `coverage`.',
    input: { site: site.optional() },
    output: { sites: z.array(z.object({ source: z.string(), customerId: z.string(), siteId: z.string(), watermark: iso, freshUntil: iso, freshness: z.enum(['fresh', 'late', 'stale', 'unknown']), gaps: z.array(z.object({ from: z.string(), to: z.string(), state: z.string() })), provisional: z.array(z.object({ from: z.string(), to: z.string() })), expired: z.array(z.object({ from: z.string(), to: z.string() })), lastSuccessAt: iso, lastFailure: z.string().nullable() })) },
  }, async (args) => {
    const sites = args.site === undefined ? deps.config.sites.sites : [siteOf(args.site)];
    const now = deps.now();
    const result = await readOnly(deps.db, async (trx) => {
      const facts = await siteSyncFacts(trx, sites);
      return Promise.all(
        sites.map(async (siteConfig, index) => {
          const { states } = await siteCoverageStates(trx, siteConfig, { now });
          const fact = facts[index]!;
          return {
            source: siteConfig.source,
            customerId: siteConfig.customerId,
            siteId: siteConfig.siteId,
            watermark: isoOf(states.watermark),
            freshUntil: isoOf(states.freshUntil),
            freshness: freshnessOf(states.watermark, freshnessThresholds(siteConfig, now), now).state,
            gaps: states.gaps.map((gap) => ({ from: isoOf(gap.from)!, to: isoOf(gap.to)!, state: gap.state })),
            provisional: states.provisional.map((part) => ({ from: isoOf(part.from)!, to: isoOf(part.to)! })),
            expired: states.expired.map((part) => ({ from: isoOf(part.from)!, to: isoOf(part.to)! })),
            lastSuccessAt: isoOf(fact.lastSuccessAt),
            lastFailure: fact.lastFailure ? `${isoOf(fact.lastFailure.at)}: ${fact.lastFailure.message}` : null,
          };
        }),
      );
    });
    return { result: { sites: result }, rows: result.length };
  });

  tool('backfill_gaps', {
    description: "Starts backfills of exactly the site's missing and failed ranges in [from, to) (operator keys only); ranges a run is syncing are left to it. Returns what it started.",
    input: { site, from: instant, to: instant },
    output: { started: z.array(z.object({ workflowId: z.string(), from: z.string(), to: z.string() })), leftRunning: z.number() },
    level: 'operator',
  }, async (args) => {
    const range = rangeOf(args.from, args.to);
    const result = await deps.backfillGaps(siteOf(args.site), range.from, range.to);
    return { result, rows: result.started.length };
  });

  /** A named site, or a refusal that lists the sites (never where the config file lives). */
  function siteOf(name: string): SiteConfig {
    const found = lookupSite(deps.config.sites, name);
    if ('site' in found) return found.site;
    if (found.problem === 'unknown') throw new ToolError(`site "${name}" is not configured; the configured sites are: ${found.known.join(', ')}`);
    throw new ToolError(`site "${name}" exists in several accounts; name it as customer/site (one of: ${found.known.join(', ')})`);
  }
}

function rangeOf(fromText: string, toText: string): { from: number; to: number } {
  const from = parseIsoInstant(fromText);
  const to = parseIsoInstant(toText);
  if (from === undefined) throw new ToolError(`from "${fromText}" is not an ISO-8601 date (2026-03-01) or date-time with its zone (2026-03-01T12:00:00Z)`);
  if (to === undefined) throw new ToolError(`to "${toText}" is not an ISO-8601 date (2026-03-01) or date-time with its zone (2026-03-01T12:00:00Z)`);
  if (to <= from) throw new ToolError(`to ${toText} must be after from ${fromText}`);
  return { from, to };
}

function isoOf(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** An opaque cursor: the last session's end and id, base64url JSON. */
function encodeCursor(cursor: SessionCursor): string {
  return Buffer.from(JSON.stringify([cursor.endMs, cursor.id])).toString('base64url');
}

function decodeCursor(text: string): SessionCursor {
  try {
    const [endMs, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[];
    if (typeof endMs === 'number' && Number.isFinite(endMs) && typeof id === 'string' && id.length <= 300 && !id.includes('\u0000')) return { endMs, id };
  } catch {
    // Reported below.
  }
  throw new ToolError('cursor is not one search_sessions gave: pass nextCursor from its last answer, unchanged');
}
