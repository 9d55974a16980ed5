import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySchedulesCommand } from '../cli/schedule-commands.js';
import { waitFor } from '../devstack/session-sync-process.js';
import { FullStorySandbox } from '../devstack/sandboxes/fullstory/fullstory-sandbox.js';
import { installTemporalRuntime } from '../worker/install-runtime.js';
import type { ScheduledSyncResult } from '../workflows/scheduled-sync-workflow.js';
import { scheduleId } from '../workflows/workflow-ids.js';
import { capturingLogger } from './support/capturing-logger.js';
import { startOperatorStack, type OperatorStack } from './support/operator-stack.js';
import { storedFullStoryRows } from './support/fullstory-rows.js';

const ORG = 'o-1G1-na1';
const KEY = `na1.${randomBytes(24).toString('base64url')}/LATEDAT`;
const MINUTE = 60_000;

/** FullStory settles data within about a day: scheduled runs export a trailing period again, so late rows land. */
describe('FullStory data that arrives late', () => {
  const { log } = capturingLogger('warn');
  let sandbox: FullStorySandbox;
  let stack: OperatorStack;

  beforeAll(async () => {
    installTemporalRuntime(log);
    sandbox = await FullStorySandbox.start({ orgs: [{ orgId: ORG, eventsPerHour: 120 }], keys: [{ key: KEY, orgId: ORG, role: 'ARCHITECT', email: 'etl@example.com' }], pendingPolls: 0 });
    stack = await startOperatorStack({
      yaml: `credentials:
  fs: { kind: fullstory-api-key, secret: { env: FS_KEY } }
accounts:
  ${ORG}:
    source: fullstory
    rateLimitPerMinute: 100000
    sites:
      events:
        credential: fs
        schedule: { cron: "0 0 1 1 *", jitter: 0s, catchupWindow: 10m }
        sync: { window: 30m, settleDelay: 2s, initialLookback: 2h, refreshTrailing: 2h }
`,
      secrets: { FS_KEY: KEY },
      env: { FULLSTORY_API_URL: sandbox.url, FULLSTORY_EU_API_URL: sandbox.url, FULLSTORY_POLL_INTERVAL: '50ms' },
      log,
    });
    await stack.startWorker();
    await applySchedulesCommand(stack.config(), { prune: false }, () => {});
  });
  afterAll(async () => {
    await stack?.close();
    await sandbox?.close();
  });

  async function triggerAndWait(): Promise<ScheduledSyncResult> {
    const handle = stack.client.schedule.getHandle(scheduleId(stack.taskQueue, { source: 'fullstory', customerId: ORG, siteId: 'events' }));
    const before = (await handle.describe()).info.numActionsTaken;
    await handle.trigger();
    let workflowId = '';
    await waitFor(async () => {
      const info = (await handle.describe()).info;
      workflowId = info.recentActions.at(-1)?.action.workflow.workflowId ?? '';
      return info.numActionsTaken > before;
    }, 30_000, 'a scheduled run');
    return stack.client.workflow.getHandle(workflowId).result();
  }

  const stored = async (from: number, to: number) =>
    (await storedFullStoryRows(stack.database.db, ORG, from, to)).map((row) => JSON.stringify(row, Object.keys(row).sort())).sort();
  const truth = (from: number, to: number) => sandbox.events(ORG, from, to).map((row) => JSON.stringify(row, Object.keys(row).sort())).sort();

  it('the next scheduled run exports the trailing period again, and the late event lands with its session', async () => {
    const first = await triggerAndWait();
    expect(await stored(first.from, first.to)).toEqual(truth(first.from, first.to));
    const late: Record<string, unknown> = { ...sandbox.events(ORG, first.from, first.to)[0]!, EventType: 'click', EventStart: new Date(first.to - 45 * MINUTE).toISOString(), PageUrl: 'https://shop.example/late' };
    sandbox.addLateEvents(ORG, [late]);

    const second = await triggerAndWait();
    expect(second.from).toBe(first.to - 2 * 60 * MINUTE);
    expect(await stored(first.from, second.to)).toEqual(truth(first.from, second.to));
    expect(await stored(first.from, second.to)).toContain(JSON.stringify(late, Object.keys(late).sort()));
    const session = await stack.database.db.selectFrom('fullstory_sessions').select(['event_count']).where('session_id', '=', String(late.SessionId)).executeTakeFirstOrThrow();
    // Its session counts every synced event of it, the late one included.
    expect(session.event_count).toBe(sandbox.events(ORG, first.from, second.to).filter((row) => row.SessionId === late.SessionId).length);
  });
});
