import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCommand } from '../cli/credentials-commands.js';
import { applySchedulesCommand, scheduleActionCommand } from '../cli/schedule-commands.js';
import { committedPages } from '../devstack/committed-pages.js';
import { obfuscateKey } from '../config/secret.js';
import { FullSessionSandbox } from '../devstack/sandboxes/fullsession/sandbox-server.js';
import { installTemporalRuntime } from '../worker/install-runtime.js';
import { scheduleId } from '../workflows/workflow-ids.js';
import { capturingLogger } from './support/capturing-logger.js';
import { storedAndTruth } from './support/compare-with-truth.js';
import { startOperatorStack, type OperatorStack } from './support/operator-stack.js';
import { triggerScheduledRun } from './support/scheduled-run.js';
import { CUSTOMER, DAY, newToken } from './support/sandbox-fixtures.js';
import { waitFor } from '../devstack/session-sync-process.js';

const OLD = newToken();
const NEW = newToken();
const SITE = 'site-rotate';

const { log, lines: logLines } = capturingLogger();
const printed: string[] = [];
const print = (line: string) => printed.push(line);

describe('a token revoked in the middle of a scheduled run', () => {
  let sandbox: FullSessionSandbox;
  let stack: OperatorStack;

  beforeAll(async () => {
    installTemporalRuntime(log);
    sandbox = await FullSessionSandbox.start({
      sites: [{ customerId: CUSTOMER, siteId: SITE, sessionsPerHour: 3600, maxSessionDurationMs: 20 * 60_000 }],
      tokens: [{ token: OLD, customerId: CUSTOMER, sites: 'all' }],
      activeFrom: Date.now() - DAY,
      pageSize: 200,
      limitPerMinute: null,
    });
    stack = await startOperatorStack({
      yaml: `
credentials:
  rotating: { description: rotated in this test, kind: fullsession-api-token, secret: { env: TEST_ROTATING_TOKEN } }
accounts:
  ${CUSTOMER}:
    rateLimitPerMinute: 240
    sites:
      ${SITE}:
        credential: rotating
        schedule: { cron: "0 0 1 1 *", jitter: 0s, catchupWindow: 10m }
        # No daily sweep: this test is about the key, and a sweep of yesterday at 240 requests a minute took 2 minutes when run soon after midnight.
        sync: { window: 1h, maxSessionDuration: 20m, settleDelay: 2s, initialLookback: 2h, sweepReachBack: 0s }
`,
      secrets: { TEST_ROTATING_TOKEN: OLD },
      apiUrl: sandbox.url,
      log,
    });
    await applySchedulesCommand(stack.config(), { prune: false }, print);
    await stack.startWorker();
  });

  afterAll(async () => {
    await stack?.close();
    await sandbox?.close();
  });

  it('stops after one 401, pauses the schedule with the reason, and a new key resumes to an exact table', async () => {
    const schedule = stack.client.schedule.getHandle(scheduleId(stack.taskQueue, { customerId: CUSTOMER, siteId: SITE }));
    await schedule.trigger();
    await waitFor(async () => (await committedPages(stack.database.db)) >= 5, 60_000, '5 committed pages');
    sandbox.revokeToken(OLD);
    await waitFor(async () => (await schedule.describe()).state.paused, 60_000, 'the schedule to pause');

    const rejected = sandbox.requests.filter((r) => r.status === 401);
    expect(rejected).toHaveLength(1);
    expect(sandbox.requests.indexOf(rejected[0]!)).toBe(sandbox.requests.length - 1);
    const reason = `FullSession rejected credential rotating (${obfuscateKey(OLD)}) with 401: the token is wrong, revoked or deleted. Create a new token in FullSession (Settings → API Tokens) and update the secret of rotating.`;
    expect((await schedule.describe()).state.note).toMatch(new RegExp(`^paused by session-sync at \\S+Z: ${escape(reason)}$`));
    const failed = await stack.database.db.selectFrom('sync_runs').select(['status', 'error']).where('kind', '=', 'scheduled').executeTakeFirstOrThrow();
    expect(failed).toEqual({ status: 'failed', error: reason });

    // The operator creates a new token, updates the secret and restarts the workers.
    sandbox.addToken({ token: NEW, customerId: CUSTOMER, sites: 'all' });
    stack.env.TEST_ROTATING_TOKEN = NEW;
    await stack.stopWorker();
    await stack.startWorker();
    const checks = await checkCommand(stack.config(), stack.database.db, stack.env, {}, print);
    expect(checks.map((check) => [check.outcome, check.obfuscatedKey])).toEqual([['ok', obfuscateKey(NEW)]]);
    await scheduleActionCommand(stack.config(), 'resume', SITE, undefined, print);
    const resumed = await triggerScheduledRun(stack.client, schedule.scheduleId);

    const { stored, truth } = await storedAndTruth(stack.database.db, sandbox, resumed.from, resumed.to, SITE);
    expect(Object.keys(truth).length).toBeGreaterThan(1000);
    expect(stored).toEqual(truth);
    for (const text of [logLines.join(''), printed.join('\n')]) {
      expect(text).not.toContain(OLD);
      expect(text).not.toContain(NEW);
    }
  });

});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

