import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FullSessionSandbox } from '../devstack/sandboxes/fullsession/sandbox-server.js';
import { runCli } from '../devstack/session-sync-process.js';
import { installTemporalRuntime } from '../worker/install-runtime.js';
import { capturingLogger } from './support/capturing-logger.js';
import { startOperatorStack, type OperatorStack } from './support/operator-stack.js';
import { CUSTOMER, DAY, HOUR, newToken } from './support/sandbox-fixtures.js';

const TOKEN = newToken();
const SITE = 'site-a';
const iso = (ms: number) => new Date(ms).toISOString();

/** FullSession: the user id its identify call sends leads to every session of that user, in every partition. */
describe('session-sync forget, FullSession', () => {
  const { log } = capturingLogger('warn');
  let sandbox: FullSessionSandbox;
  let stack: OperatorStack;
  const today = Math.floor(Date.now() / DAY) * DAY;
  const [from, to] = [today - 4 * DAY, today - 2 * DAY];

  beforeAll(async () => {
    installTemporalRuntime(log);
    sandbox = await FullSessionSandbox.start({
      sites: [{ customerId: CUSTOMER, siteId: SITE, sessionsPerHour: 400, maxSessionDurationMs: 4 * HOUR }],
      tokens: [{ token: TOKEN, customerId: CUSTOMER, sites: 'all' }],
      activeFrom: today - 30 * DAY,
      pageSize: 500,
      limitPerMinute: null,
    });
    stack = await startOperatorStack({
      yaml: `credentials:\n  main: { kind: fullsession-api-token, secret: { env: ERASE_TOKEN } }\naccounts:\n  ${CUSTOMER}:\n    rateLimitPerMinute: 6000\n    sites:\n      ${SITE}: { credential: main, sync: { maxSessionDuration: 4h } }\n`,
      secrets: { ERASE_TOKEN: TOKEN },
      apiUrl: sandbox.url,
      env: { ERASURE_HASH_KEY: randomBytes(32).toString('base64') },
      log,
    });
    await stack.startWorker();
  });
  afterAll(async () => {
    await stack?.close();
    await sandbox?.close();
  });

  const backfill = (...extra: string[]) => runCli(['backfill', '--site', `${CUSTOMER}/${SITE}`, '--from', iso(from), '--to', iso(to), ...extra], stack.env);
  const stored = async () => (await sql<{ id: string; user_id: string | null }>`select session_id as id, user_id from fullsession_sessions where customer_id = ${CUSTOMER} order by 1`.execute(stack.database.db)).rows;

  it('deletes every session of the user, keeps them out of backfill --force, and leaves everyone else exact', async () => {
    expect((await backfill()).code).toBe(0);
    const truth = sandbox.groundTruth(CUSTOMER, SITE, from, to);
    const users = new Map<string, number>();
    for (const session of truth) if (session.json.userId) users.set(String(session.json.userId), (users.get(String(session.json.userId)) ?? 0) + 1);
    const [user, sessions] = [...users].sort((a, b) => b[1] - a[1])[0]!;
    expect(sessions).toBeGreaterThan(1);
    const before = await stored();
    expect(before.length).toBe(truth.length);

    const forgot = await runCli(['forget', '--account', CUSTOMER, '--user-id', user, '--json'], stack.env);
    expect(forgot.code, forgot.stderr).toBe(0);
    expect((JSON.parse(forgot.stdout) as { rows: Record<string, number> }).rows).toEqual({ fullsession_sessions: sessions, fullsession_rejects: 0, mcp_audit: 0 });
    const others = before.filter((row) => row.user_id !== user);
    expect(await stored()).toEqual(others);

    const again = await backfill('--force');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`suppressed ${sessions}`);
    expect(await stored()).toEqual(others);
  });
});
