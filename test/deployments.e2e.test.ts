import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillCommand } from '../cli/backfill-command.js';
import { applySchedulesCommand, scheduleActionCommand } from '../cli/schedule-commands.js';
import type { FullSessionSandbox } from '../devstack/sandboxes/fullsession/sandbox-server.js';
import { installTemporalRuntime } from '../worker/install-runtime.js';
import { legacyScheduleId, scheduleId } from '../workflows/workflow-ids.js';
import { siteScheduleOptions } from '../cli/site-schedule-options.js';
import { capturingLogger } from './support/capturing-logger.js';
import { startOperatorStack, type OperatorStack } from './support/operator-stack.js';
import { CUSTOMER, DAY0, HOUR, newToken, startTestSandbox } from './support/sandbox-fixtures.js';

const TOKEN = newToken();

const configYaml = (siteACredential = 'main') => `
credentials:
  main: { kind: fullsession-api-token, secret: { env: TEST_MAIN_TOKEN } }
  other: { description: known to the CLI only, kind: fullsession-api-token, secret: { env: TEST_MAIN_TOKEN } }
defaults:
  schedule: { cron: "0 0 1 1 *", jitter: 0s, catchupWindow: 10m }
  sync: { window: 6h, maxSessionDuration: 4h, settleDelay: 2s, initialLookback: 1h }
accounts:
  ${CUSTOMER}:
    sites:
      site-a: { credential: ${siteACredential} }
      site-b: { credential: main }
`;

const { log } = capturingLogger('warn');
const print = () => {};

/** Two deployments (staging and production, say) in one Temporal namespace, each with its own task queue. */
describe('deployments sharing a namespace, and CLIs whose config differs from the workers', () => {
  let sandbox: FullSessionSandbox;
  let production: OperatorStack;
  let staging: OperatorStack;

  beforeAll(async () => {
    installTemporalRuntime(log);
    sandbox = await startTestSandbox(TOKEN);
    [production, staging] = await Promise.all(
      [0, 1].map(() => startOperatorStack({ yaml: configYaml(), secrets: { TEST_MAIN_TOKEN: TOKEN }, apiUrl: sandbox.url, log })),
    ) as [OperatorStack, OperatorStack];
  });

  afterAll(async () => {
    await production?.close();
    await staging?.close();
    await sandbox?.close();
  });

  const describeSchedule = (stack: OperatorStack, siteId: string) => stack.client.schedule.getHandle(scheduleId(stack.taskQueue, { customerId: CUSTOMER, siteId })).describe();

  it('keep a schedule each for the same site: pausing or pruning one leaves the other alone', async () => {
    const created = await applySchedulesCommand(production.config(), { prune: false }, print);
    const createdToo = await applySchedulesCommand(staging.config(), { prune: false }, print);
    expect([...created.values()]).toEqual(['created', 'created']);
    expect([...createdToo.values()]).toEqual(['created', 'created']);
    await scheduleActionCommand(staging.config(), 'pause', 'site-a', 'staging maintenance', print);
    expect((await describeSchedule(staging, 'site-a')).state.paused).toBe(true);
    expect((await describeSchedule(production, 'site-a')).state.paused).toBe(false);

    staging.writeConfig(configYaml().replace(/ {6}site-b:.*\n/, ''));
    const pruned = await applySchedulesCommand(staging.config(), { prune: true }, print);
    expect(pruned.get(scheduleId(staging.taskQueue, { customerId: CUSTOMER, siteId: 'site-b' }))).toBe('deleted');
    expect((await describeSchedule(production, 'site-b')).state.paused).toBe(false);
    expect((await applySchedulesCommand(production.config(), { prune: true }, print)).get(scheduleId(production.taskQueue, { customerId: CUSTOMER, siteId: 'site-b' }))).toBe('unchanged');
  });

  it('moves a schedule made under the old id (no task queue) to the new one, keeping it paused', async () => {
    const site = production.config().sites.sites.find((s) => s.siteId === 'site-a')!;
    const legacyId = legacyScheduleId(site);
    await production.client.schedule.getHandle(scheduleId(production.taskQueue, site)).delete();
    await production.client.schedule.create({ ...siteScheduleOptions(site, production.taskQueue), scheduleId: legacyId, state: { paused: true, note: 'paused by session-sync at 2026-11-01T00:00:00.000Z: revoked key' } });
    const outcomes = await applySchedulesCommand(production.config(), { prune: true }, print);
    expect(outcomes.get(scheduleId(production.taskQueue, site))).toBe('moved');
    expect(outcomes.has(legacyId)).toBe(false);
    const moved = await describeSchedule(production, 'site-a');
    expect(moved.state).toMatchObject({ paused: true, note: 'paused by session-sync at 2026-11-01T00:00:00.000Z: revoked key' });
    await expect(production.client.schedule.getHandle(legacyId).describe()).rejects.toThrow(/not found/i);
    await scheduleActionCommand(production.config(), 'resume', 'site-a', undefined, print);
  });

  it('a backfill whose credential the workers do not know fails that run, naming the worker, and pauses nothing', async () => {
    await production.startWorker();
    production.writeConfig(configYaml('other'));
    const from = new Date(DAY0).toISOString();
    const to = new Date(DAY0 + 6 * HOUR).toISOString();
    const requestsBefore = sandbox.requests.length;
    await expect(backfillCommand(production.config(), { site: 'site-a', from, to, force: false, detach: false }, print)).rejects.toThrow('Workflow execution failed');
    const run = await production.database.db.selectFrom('sync_runs').select(['status', 'error']).where('site_id', '=', 'site-a').executeTakeFirstOrThrow();
    expect(run).toEqual({
      status: 'failed',
      error:
        `credential other is not configured on worker ${process.pid}@${hostname()}, so this run fails; the site's schedule is left as it is. ` +
        "Start the run with a credential the workers know, or add it to every worker's config (SESSION_SYNC_CONFIG or FULLSESSION_API_TOKEN) and restart them",
    });
    expect(sandbox.requests.length).toBe(requestsBefore);
    expect((await describeSchedule(production, 'site-a')).state.paused).toBe(false);
  });
});
