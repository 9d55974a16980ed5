import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../devstack/free-port.js';
import { FullSessionSandbox } from '../devstack/sandboxes/fullsession/sandbox-server.js';
import { FullStorySandbox } from '../devstack/sandboxes/fullstory/fullstory-sandbox.js';
import { runCli, waitFor } from '../devstack/session-sync-process.js';
import { readOnly } from '../mcp/read-only-transaction.js';
import { installTemporalRuntime } from '../worker/install-runtime.js';
import { capturingLogger } from './support/capturing-logger.js';
import { databaseText } from './support/leak-scan.js';
import { startOperatorStack, type OperatorStack } from './support/operator-stack.js';
import { CUSTOMER, DAY, HOUR, newToken } from './support/sandbox-fixtures.js';
import { tempDir } from './support/temp-dir.js';

const TOKEN = newToken();
const ORG = 'o-9M9-na1';
const FS_KEY = `na1.${randomBytes(24).toString('base64url')}/MCPKEYS`;
const ROOT = fileURLToPath(new URL('../', import.meta.url));

type ToolResult = { structuredContent?: Record<string, unknown>; isError?: boolean; content: Array<{ type: string; text?: string }> };

/** The MCP server over the copy, as real clients use it: the SDK's client over HTTP, keys from the CLI. */
describe('the MCP server', () => {
  const { log } = capturingLogger('error');
  let fullSession: FullSessionSandbox;
  let fullStory: FullStorySandbox;
  let stack: OperatorStack;
  let server: ChildProcess;
  let serverOutput = '';
  let url: string;
  const keys: Record<string, string> = {};
  const today = Math.floor(Date.now() / DAY) * DAY;
  const day1 = today - 3 * DAY;

  beforeAll(async () => {
    installTemporalRuntime(log);
    fullSession = await FullSessionSandbox.start({
      sites: [{ customerId: CUSTOMER, siteId: 'site-a', sessionsPerHour: 60, maxSessionDurationMs: HOUR }],
      tokens: [{ token: TOKEN, customerId: CUSTOMER, sites: 'all' }],
      activeFrom: today - 10 * DAY,
      pageSize: 500,
      limitPerMinute: null,
    });
    fullStory = await FullStorySandbox.start({ orgs: [{ orgId: ORG, eventsPerHour: 40 }], keys: [{ key: FS_KEY, orgId: ORG, role: 'ARCHITECT', email: 'etl@example.com' }], pendingPolls: 0 });
    stack = await startOperatorStack({
      yaml: `credentials:\n  main: { kind: fullsession-api-token, secret: { env: MCP_FS_TOKEN } }\n  fs: { kind: fullstory-api-key, secret: { env: MCP_FULLSTORY_KEY } }\ndefaults:\n  schedule: { cron: "0 0 1 1 *" }\n  sync: { maxSessionDuration: 1h }\naccounts:\n  ${CUSTOMER}:\n    rateLimitPerMinute: 6000\n    sites:\n      site-a: { credential: main }\n  ${ORG}:\n    source: fullstory\n    rateLimitPerMinute: 6000\n    sites:\n      events: { credential: fs }\n`,
      secrets: { MCP_FS_TOKEN: TOKEN, MCP_FULLSTORY_KEY: FS_KEY },
      apiUrl: fullSession.url,
      env: { FULLSTORY_API_URL: fullStory.url, FULLSTORY_EU_API_URL: fullStory.url, FULLSTORY_POLL_INTERVAL: '50ms' },
      log,
    });
    await stack.startWorker();
    for (const site of ['site-a', `${ORG}/events`]) expect((await runCli(['backfill', '--site', site, '--from', new Date(day1).toISOString(), '--to', new Date(day1 + 2 * DAY).toISOString()], stack.env)).code).toBe(0);
    for (const [name, level] of [['reader', 'standard'], ['ops', 'operator'], ['gone', 'standard']] as const) {
      const created = await runCli(['mcp-keys', 'create', '--name', name, '--level', level, '--json'], stack.env);
      expect(created.code).toBe(0);
      const shown = JSON.parse(created.stdout) as { name: string; level: string; suffix: string; key: string };
      expect(shown).toMatchObject({ name, level, suffix: shown.key.slice(-7) });
      expect(shown.key).toMatch(/^ssk_[A-Za-z0-9_-]{43}\/[A-Za-z0-9]{7}$/);
      keys[name] = shown.key;
    }
    // A call audited 40 days ago: past the default MCP_AUDIT_RETENTION of 30 days, deleted when the server starts.
    await stack.database.db.insertInto('mcp_audit').values({ at: new Date(Date.now() - 40 * DAY), key_name: 'ancient', key_suffix: 'AAAAAAA', tool: 'search_sessions', arguments: JSON.stringify({ userContains: 'someone@example.com' }), rows: 1, duration_ms: 3, error: null }).execute();
    const port = await freePort();
    url = `http://127.0.0.1:${port}/mcp`;
    server = spawn(process.execPath, ['bin/session-sync.js', 'mcp', '--port', String(port)], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', LOG_PRETTY: 'false', ...stack.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout?.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
    server.stderr?.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
    await waitFor(() => serverOutput.includes('MCP server listening'), 30_000, 'the MCP server');
  });
  afterAll(async () => {
    server?.kill('SIGTERM');
    await stack?.close();
    await fullSession?.close();
    await fullStory?.close();
  });

  const connect = async (key: string) => {
    const client = new Client({ name: 'session-sync-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${key}` } } }));
    return client;
  };
  const call = async (client: Client, name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as ToolResult;
  const errorText = (result: ToolResult) => {
    expect(result.isError).toBe(true);
    return result.content[0]?.text ?? '';
  };

  it('answers every read tool exactly as the source holds the data', async () => {
    const client = await connect(keys.reader!);
    expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual(['backfill_gaps', 'count_sessions', 'get_session', 'list_sites', 'search_sessions', 'sync_status']);
    const truth = fullSession.groundTruth(CUSTOMER, 'site-a', day1, day1 + 2 * DAY);

    const sites = (await call(client, 'list_sites')).structuredContent!.sites as Array<Record<string, unknown>>;
    expect(sites[0]).toEqual({ source: 'fullsession', customerId: CUSTOMER, siteId: 'site-a', records: truth.length, watermark: new Date(day1 + 2 * DAY).toISOString(), freshUntil: new Date(day1 + 2 * DAY).toISOString(), lastSuccessAt: expect.any(String) });
    expect(sites[1]).toMatchObject({ source: 'fullstory', customerId: ORG, siteId: 'events', records: fullStory.events(ORG, day1, day1 + 2 * DAY).length });

    // Every session that ended in the range, page by page, in end-time order, none twice.
    const seen: Array<Record<string, unknown>> = [];
    let cursor: string | undefined;
    do {
      const page = (await call(client, 'search_sessions', { site: 'site-a', from: new Date(day1).toISOString(), to: new Date(day1 + 2 * DAY).toISOString(), limit: 250, ...(cursor ? { cursor } : {}) })).structuredContent!;
      seen.push(...(page.sessions as Array<Record<string, unknown>>));
      cursor = page.nextCursor as string | undefined;
    } while (cursor);
    expect(seen.map((session) => session.sessionId).sort()).toEqual(truth.map((session) => session.uuid).sort());
    const ends = seen.map((session) => String(session.endedAt));
    expect(ends).toEqual([...ends].sort());

    const byDay = (await call(client, 'count_sessions', { site: `${CUSTOMER}/site-a`, from: new Date(day1).toISOString(), to: new Date(day1 + 2 * DAY).toISOString(), groupBy: 'day' })).structuredContent!.buckets;
    expect(byDay).toEqual([0, 1].map((n) => ({ key: new Date(day1 + n * DAY).toISOString().slice(0, 10), count: fullSession.groundTruth(CUSTOMER, 'site-a', day1 + n * DAY, day1 + (n + 1) * DAY).length })));

    const one = truth[0]!;
    const session = (await call(client, 'get_session', { site: 'site-a', sessionId: one.uuid })).structuredContent!.session as Record<string, unknown>;
    expect(session.payload).toEqual(one.json);

    // FullStory: its sessions page completely too, and one comes with its events.
    const fsRows = await sql<{ n: string }>`select count(*) as n from fullstory_sessions where org_id = ${ORG} and session_end >= ${new Date(day1)} and session_end < ${new Date(day1 + 2 * DAY)}`.execute(stack.database.db);
    const fsSeen = new Set<string>();
    cursor = undefined;
    do {
      const page = (await call(client, 'search_sessions', { site: `${ORG}/events`, from: new Date(day1).toISOString(), to: new Date(day1 + 2 * DAY).toISOString(), limit: 37, ...(cursor ? { cursor } : {}) })).structuredContent!;
      for (const found of page.sessions as Array<{ sessionId: string }>) fsSeen.add(found.sessionId);
      cursor = page.nextCursor as string | undefined;
    } while (cursor);
    expect(fsSeen.size).toBe(Number(fsRows.rows[0]!.n));
    const fsSession = (await call(client, 'get_session', { site: 'events', sessionId: [...fsSeen][0] })).structuredContent!.session as { events: string[]; eventsTotal: number; eventCount: number };
    expect(fsSession.events.length).toBe(fsSession.eventsTotal);
    expect(fsSession.eventsTotal).toBe(fsSession.eventCount);

    const status = (await call(client, 'sync_status', { site: 'site-a' })).structuredContent!.sites as Array<Record<string, unknown>>;
    expect(status[0]).toMatchObject({ watermark: new Date(day1 + 2 * DAY).toISOString(), gaps: [], provisional: [] });
    await client.close();
  });

  it("answers the MCP Inspector's CLI the same, with the key as a header", async () => {
    const inspector = (...args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [`${ROOT}node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js`, '--cli', url, '--header', `Authorization: Bearer ${keys.reader}`, '--stored-auth-only', ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: tempDir('inspector-home-') }, stdio: ['ignore', 'pipe', 'pipe'] });
        let [stdout, stderr] = ['', ''];
        child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.once('exit', (code) => resolve({ code, stdout, stderr }));
      });
    const tools = await inspector('--method', 'tools/list');
    expect(tools.code, tools.stderr).toBe(0);
    expect((JSON.parse(tools.stdout) as { tools: Array<{ name: string }> }).tools.map((tool) => tool.name).sort()).toEqual(['backfill_gaps', 'count_sessions', 'get_session', 'list_sites', 'search_sessions', 'sync_status']);
    const counted = await inspector('--method', 'tools/call', '--tool-name', 'count_sessions', '--tool-arg', 'site=site-a', `from=${new Date(day1).toISOString()}`, `to=${new Date(day1 + DAY).toISOString()}`, 'groupBy=day');
    expect(counted.code, counted.stderr).toBe(0);
    expect((JSON.parse(counted.stdout) as { structuredContent: unknown }).structuredContent).toEqual({ buckets: [{ key: new Date(day1).toISOString().slice(0, 10), count: fullSession.groundTruth(CUSTOMER, 'site-a', day1, day1 + DAY).length }] });
    expect(tools.stdout + tools.stderr + counted.stdout + counted.stderr).not.toContain(keys.reader);
  });

  it('serves a local client on stdio with the key from SESSION_SYNC_MCP_KEY, and refuses to start without one', async () => {
    const stdio = (key: string) => new StdioClientTransport({ command: process.execPath, args: ['bin/session-sync.js', 'mcp', '--stdio'], cwd: ROOT, env: { PATH: process.env.PATH ?? '', LOG_PRETTY: 'false', ...stack.env, SESSION_SYNC_MCP_KEY: key }, stderr: 'pipe' });
    const client = new Client({ name: 'session-sync-stdio-test', version: '1.0.0' });
    await client.connect(stdio(keys.reader!));
    const sites = (await call(client, 'list_sites')).structuredContent!.sites as Array<{ siteId: string }>;
    expect(sites.map((site) => site.siteId)).toEqual(['site-a', 'events']);
    await client.close();
    const refused = await runCli(['mcp', '--stdio'], { ...stack.env, SESSION_SYNC_MCP_KEY: 'not-a-key' });
    expect([refused.code, refused.stderr]).toEqual([2, 'session-sync: --stdio needs a valid MCP key in SESSION_SYNC_MCP_KEY (create one with `session-sync mcp-keys create`)\n']);
  });

  it('refuses hostile arguments with clear errors and never more rows', async () => {
    const client = await connect(keys.reader!);
    const range = { from: new Date(day1).toISOString(), to: new Date(day1 + 2 * DAY).toISOString() };
    for (const pattern of ['%', '_', "' OR 1=1 --", '"; drop table fullsession_sessions; --']) {
      const result = await call(client, 'search_sessions', { site: 'site-a', ...range, userContains: pattern });
      expect(result.structuredContent!.sessions).toEqual([]);
    }
    expect(errorText(await call(client, 'search_sessions', { site: "site-a' OR '1'='1", ...range }))).toBe(`site "site-a' OR '1'='1" is not configured; the configured sites are: ${CUSTOMER}/site-a, ${ORG}/events`);
    // Digits Number() reads as an integer but Postgres cannot hold: refused before any query, in the tool's words.
    expect(errorText(await call(client, 'get_session', { site: 'site-a', sessionId: 'x', eventsCursor: '1e19' }))).toBe('eventsCursor "1e19" is not one get_session gave');
    expect(errorText(await call(client, 'search_sessions', { site: 'site-a', from: 'yesterday', to: range.to }))).toBe('from "yesterday" is not an ISO-8601 date (2026-03-01) or date-time with its zone (2026-03-01T12:00:00Z)');
    expect(errorText(await call(client, 'search_sessions', { site: 'site-a', ...range, cursor: 'bm90IGEgY3Vyc29y' }))).toBe('cursor is not one search_sessions gave: pass nextCursor from its last answer, unchanged');
    for (const args of [{ limit: 1_000_000 }, { userContains: 'a\u0000b' }, { urlContains: 'x'.repeat(10_000) }]) {
      const result = await call(client, 'search_sessions', { site: 'site-a', ...range, ...args });
      expect(result.isError).toBe(true);
    }
    expect(await sql<{ n: string }>`select count(*) as n from fullsession_sessions`.execute(stack.database.db).then((r) => Number(r.rows[0]!.n))).toBeGreaterThan(0);
    // The second wall: the tools' transactions can neither write nor read the keys, whatever reached them.
    await expect(readOnly(stack.database.db, (trx) => sql`delete from fullsession_sessions`.execute(trx))).rejects.toThrow('cannot execute DELETE in a read-only transaction');
    await expect(readOnly(stack.database.db, (trx) => trx.selectFrom('mcp_api_keys').selectAll().execute())).rejects.toThrow('permission denied for table mcp_api_keys');
    await expect(readOnly(stack.database.db, (trx) => sql`select pg_read_file('/etc/passwd')`.execute(trx))).rejects.toThrow('permission denied for function pg_read_file');
    await client.close();
  });

  it("counts every JSON-RPC message of a batch against the key's limit, and logs each refusal with the address, key and reason", async () => {
    const created = await runCli(['mcp-keys', 'create', '--name', 'batcher', '--level', 'standard', '--json'], stack.env);
    const key = (JSON.parse(created.stdout) as { key: string }).key;
    const batch = Array.from({ length: 100 }, (_, id) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'list_sites', arguments: {} } }));
    const send = () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${key}` }, body: JSON.stringify(batch) });
    const first = await send();
    expect(first.status).toBe(200);
    expect(first.headers.get('x-content-type-options')).toBe('nosniff');
    const answers = (await first.json()) as Array<{ id: number; result?: { isError?: boolean } }>;
    expect(answers.filter((answer) => answer.result && !answer.result.isError).map((answer) => answer.id).sort((a, b) => a - b)).toEqual(batch.map((message) => message.id));
    // 100 more would make 200 in the minute against a limit of 120: refused whole, none answered.
    const second = await send();
    expect(second.status).toBe(429);
    expect(second.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await second.json()).toEqual({ error: `key batcher (…/${key.slice(-7)}) is over 120 calls a minute (this request holds 100)` });
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
    const audited = await stack.database.db.selectFrom('mcp_audit').select((eb) => eb.fn.countAll<string>().as('n')).where('key_name', '=', 'batcher').executeTakeFirstOrThrow();
    expect(Number(audited.n)).toBe(100);
    await waitFor(() => serverOutput.includes('"status":429'), 5_000, 'the refusal in the log');
    const refusal = JSON.parse(serverOutput.split('\n').find((line) => line.includes('"status":429'))!) as Record<string, unknown>;
    // Search terms are not kept forever: the 40-day-old call is gone, the new ones stay.
    expect(await stack.database.db.selectFrom('mcp_audit').select('key_name').where('key_name', '=', 'ancient').execute()).toEqual([]);
    expect(serverOutput).toContain('"deleted":1,"retention":"30d","msg":"mcp_audit rows past their retention deleted"');
    expect(refusal).toMatchObject({ msg: 'mcp request refused', status: 429, address: '127.0.0.1', key: `batcher (…/${key.slice(-7)})`, reason: `key batcher (…/${key.slice(-7)}) is over 120 calls a minute (this request holds 100)` });
  });

  it('asks for a key, checks its level, refuses other origins and forgets a deleted key at once', async () => {
    const post = (headers: Record<string, string>) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
    const wrong = await post({ authorization: `Bearer ssk_${'A'.repeat(43)}/WRONG00` });
    expect([wrong.status, wrong.headers.get('www-authenticate')]).toEqual([401, 'Bearer realm="session-sync"']);
    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: `Bearer ${keys.reader}`, origin: 'https://evil.example' })).status).toBe(403);

    const reader = await connect(keys.reader!);
    const range = { site: 'site-a', from: new Date(day1 - DAY).toISOString(), to: new Date(day1).toISOString() };
    expect(errorText(await call(reader, 'backfill_gaps', range))).toBe('backfill_gaps needs an operator key; key reader (…/' + keys.reader!.slice(-7) + ') is a standard key. Use an operator key, or raise this one with `session-sync mcp-keys set-level reader operator`.');
    const ops = await connect(keys.ops!);
    const started = (await call(ops, 'backfill_gaps', { site: 'site-a', from: new Date(day1 - DAY).toISOString(), to: new Date(day1 + 2 * DAY).toISOString() })).structuredContent!;
    expect(started).toEqual({ started: [{ workflowId: expect.stringMatching(new RegExp(`^backfill:${stack.taskQueue}:fullsession:${CUSTOMER}:site-a:`)), from: new Date(day1 - DAY).toISOString(), to: new Date(day1).toISOString() }], leftRunning: 0 });

    const doomed = await connect(keys.gone!);
    expect((await call(doomed, 'list_sites')).isError).toBeFalsy();
    expect((await runCli(['mcp-keys', 'delete', 'gone'], stack.env)).code).toBe(0);
    expect((await post({ authorization: `Bearer ${keys.gone}` })).status).toBe(401);

    const listed = await runCli(['mcp-keys', 'list'], stack.env);
    expect(listed.stdout).toMatch(new RegExp(`^reader\\s+standard\\s+…/${keys.reader!.slice(-7)}\\s+\\S+Z\\s+\\S+Z\\s+-$`, 'm'));
    // The audit names the key by name and suffix, with each tool and its rows.
    const audit = await stack.database.db.selectFrom('mcp_audit').select(['key_name', 'key_suffix', 'tool', 'rows', 'error']).where('tool', '=', 'backfill_gaps').orderBy('id').execute();
    expect(audit.map((row) => [row.key_name, row.key_suffix, row.rows, row.error === null])).toEqual([['reader', keys.reader!.slice(-7), null, false], ['ops', keys.ops!.slice(-7), 1, true]]);
    // No key anywhere: not in the database, not in the server's log.
    const everything = await databaseText(stack.database.db);
    for (const key of Object.values(keys)) {
      expect(everything).not.toContain(key);
      expect(serverOutput).not.toContain(key);
    }
    await Promise.all([reader.close(), ops.close(), doomed.close()]);
  });
});
