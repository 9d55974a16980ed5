import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { sql } from 'kysely';
import { insertMcpKey } from '../../db/mcp-keys-repository.js';
import { FULLSESSION_SESSIONS_TABLE, SitePartitions } from '../../db/site-partitions.js';
import { freePort } from '../../devstack/free-port.js';
import { createScratchDatabase } from '../../devstack/scratch-database.js';
import { waitFor } from '../../devstack/session-sync-process.js';
import { createApiKey } from '../../mcp/api-key.js';
import { DAY, T0, type BenchStack } from '../bench-stack.js';

export interface McpLatencyFigure {
  sessions: number;
  calls: number;
  /** One-day pages of search_sessions (100 sessions each), end to end through the SDK's client, ms. */
  p50Ms: number;
  p95Ms: number;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SESSIONS = 1_000_000;
const DAYS = 30;
const CALLS = 300;

/**
 * search_sessions over a million stored sessions: a real `session-sync mcp`
 * process, a key created as `mcp-keys create` creates it, and the SDK's
 * client asking for one-day pages (the first page, and the next from its
 * cursor) of random days, after a warm-up.
 */
export async function measureMcpLatency(stack: BenchStack): Promise<McpLatencyFigure> {
  const database = await createScratchDatabase(stack.adminDatabaseUrl, { prefix: 'session_sync_bench' });
  const dir = mkdtempSync(join(tmpdir(), 'session-sync-bench-mcp-'));
  try {
    // A million sessions spread over 30 days, up to an hour long, as the sync would have stored them:
    // in their partitions, with the site's longest session kept.
    await new SitePartitions(database.db).ensure(FULLSESSION_SESSIONS_TABLE, { customerId: 'bench', siteId: 'site-1' }, '1d', { start: T0 - DAY, end: T0 + (DAYS + 1) * DAY });
    await sql`insert into fullsession_longest_sessions (customer_id, site_id, longest_ms) values ('bench', 'site-1', 3599000)`.execute(database.db);
    await sql`
      insert into fullsession_sessions (customer_id, site_id, session_id, user_id, start_time, end_time, duration_ms, landing_page, device, browser, country, payload)
      select 'bench', 'site-1', 's-' || n, 'user-' || (n % 50000), t - (n % 3600) * interval '1 second', t, (n % 3600) * 1000,
             'https://shop.example/p/' || (n % 500), (array['desktop','mobile','tablet'])[1 + n % 3], (array['Chrome','Safari','Firefox'])[1 + n % 3], 'DE', jsonb_build_object('uuid', 's-' || n)
      from generate_series(1, ${SESSIONS}) n, lateral (select ${new Date(T0)}::timestamptz + (n::float8 / ${SESSIONS}) * interval '${sql.raw(String(DAYS))} days' as t) at`.execute(database.db);
    await sql`analyze fullsession_sessions`.execute(database.db);
    const key = createApiKey();
    await insertMcpKey(database.db, { name: 'bench', level: 'standard', suffix: key.suffix, hash: key.hash, description: '' });
    const configPath = join(dir, 'session-sync.yaml');
    writeFileSync(configPath, 'credentials:\n  main: { kind: fullsession-api-token, secret: { env: BENCH_UNUSED_TOKEN } }\naccounts:\n  bench:\n    sites:\n      site-1: { credential: main }\n');
    const port = await freePort();
    let output = '';
    const server = spawn(process.execPath, ['bin/session-sync.js', 'mcp', '--port', String(port)], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', LOG_PRETTY: 'false', SESSION_SYNC_CONFIG: configPath, DATABASE_URL: database.url, TEMPORAL_ADDRESS: stack.temporalAddress, MCP_RATE_LIMIT_PER_MINUTE: '100000' }, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await waitFor(() => output.includes('MCP server listening'), 30_000, 'the MCP server');
      const client = new Client({ name: 'bench', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${key.key}` } } }));
      const page = async (day: number, cursor?: string) => {
        const started = performance.now();
        const result = (await client.callTool({ name: 'search_sessions', arguments: { site: 'site-1', from: new Date(T0 + day * DAY).toISOString(), to: new Date(T0 + (day + 1) * DAY).toISOString(), limit: 100, ...(cursor ? { cursor } : {}) } })) as { structuredContent?: { sessions: unknown[]; nextCursor?: string }; isError?: boolean };
        if (result.isError || result.structuredContent?.sessions.length !== 100) throw new Error(`search_sessions answered ${JSON.stringify(result).slice(0, 300)}`);
        return { ms: performance.now() - started, next: result.structuredContent.nextCursor };
      };
      for (let i = 0; i < 20; i++) await page(i % DAYS);
      const times: number[] = [];
      for (let i = 0; i < CALLS / 2; i++) {
        const day = Math.floor(Math.random() * DAYS);
        const first = await page(day);
        times.push(first.ms, (await page(day, first.next)).ms);
      }
      await client.close();
      times.sort((a, b) => a - b);
      const at = (share: number) => times[Math.min(times.length - 1, Math.floor(share * times.length))]!;
      return { sessions: SESSIONS, calls: times.length, p50Ms: at(0.5), p95Ms: at(0.95) };
    } finally {
      server.kill('SIGTERM');
    }
  } finally {
    await database.drop();
  }
}
