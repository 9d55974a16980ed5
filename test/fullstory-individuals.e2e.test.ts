import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillRequest } from '../cli/backfill-request.js';
import { statusCommand } from '../cli/status-command.js';
import type { FullStorySandbox } from '../devstack/sandboxes/fullstory/fullstory-sandbox.js';
import { parseLosslessJson } from '../sources/fullstory/lossless-json.js';
import { syncRangeWorkflow } from '../workflows/sync-range-workflow.js';
import { capturingLogger } from './support/capturing-logger.js';
import { startFullStoryStack, type FullStoryStack } from './support/fullstory-stack.js';
import type { OperatorStack } from './support/operator-stack.js';

const ORG = 'o-7Q7-na1';
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 9, 19);

describe('FullStory individuals, their own stream from the individuals export', () => {
  const { log } = capturingLogger('warn');
  let fullStory: FullStoryStack;
  let sandbox: FullStorySandbox;
  let stack: OperatorStack;

  beforeAll(async () => {
    fullStory = await startFullStoryStack({ orgId: ORG, eventsPerHour: 400, pendingPolls: 0, pollInterval: '50ms', sites: '      individuals: { credential: fs, sync: { window: 1h, settleDelay: 2s } }', log });
    ({ sandbox, stack } = fullStory);
  });
  afterAll(() => fullStory?.close());

  const backfill = (force: boolean) => {
    const { input } = backfillRequest(stack.config(), { site: `${ORG}/individuals`, from: new Date(T0).toISOString(), to: new Date(T0 + 3 * HOUR).toISOString(), force });
    return stack.client.workflow.execute(syncRangeWorkflow, { workflowId: `fs-individuals-${randomBytes(4).toString('hex')}`, taskQueue: stack.taskQueue, args: [input] });
  };
  const stored = async () => {
    const { rows } = await sql<{ indv_id: string; email: string | null; num_events: string | null; last_event_start: Date | null; raw: string }>`
      select indv_id, email, num_events, last_event_start, raw::text as raw from fullstory_individuals where org_id = ${ORG}`.execute(stack.database.db);
    return rows;
  };

  it('holds one exact row per individual, ids beyond 2^53 exact, typed columns beside the raw row', async () => {
    const totals = await backfill(false);
    const truth = sandbox.individuals(ORG, T0, T0 + 3 * HOUR);
    expect(truth.length).toBeGreaterThan(20);
    // The run's result counts records, never "sessions": these are individuals.
    expect(totals).toEqual({ windowsDone: 3, pages: expect.any(Number), records: truth.length, requests: expect.any(Number), rejects: 0, suppressed: 0 });
    const rows = await stored();
    const byId = (list: Array<Record<string, unknown>>) => Object.fromEntries(list.map((row) => [String(row.IndvId), row]));
    expect(byId(rows.map((row) => parseLosslessJson(row.raw) as Record<string, unknown>))).toEqual(byId(truth));
    for (const row of rows) {
      const exported = truth.find((individual) => individual.IndvId === row.indv_id)!;
      expect(BigInt(row.indv_id) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
      expect([row.email, row.num_events, row.last_event_start?.toISOString()]).toEqual([exported.Email, String(exported.NumEvents), exported.LastEventStart]);
    }
    const lines: string[] = [];
    await statusCommand(stack.config(), stack.database.db, { json: false }, (line) => lines.push(line));
    expect(lines.join('\n')).toMatch(new RegExp(`^fullstory\\s+${ORG}/individuals\\s+none\\s+\\w+\\s+complete to [^;]+; fresh to .+? ago\\s+\\S+Z\\s+${truth.length} individuals\\s+-\\s+-$`, 'm'));
  });

  it('re-exporting unchanged windows rewrites no individual', async () => {
    const versions = async () => (await sql<{ v: string }>`select string_agg(indv_id || ':' || xmin::text, ',' order by indv_id) as v from fullstory_individuals`.execute(stack.database.db)).rows[0]!.v;
    const before = await versions();
    const totals = await backfill(true);
    expect(totals.windowsDone).toBe(3);
    expect(await versions()).toBe(before);
  });
});
