import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillRequest } from '../cli/backfill-request.js';
import type { FullStorySandbox } from '../devstack/sandboxes/fullstory/fullstory-sandbox.js';
import { syncRangeWorkflow } from '../workflows/sync-range-workflow.js';
import { capturingLogger } from './support/capturing-logger.js';
import { startFullStoryStack, type FullStoryStack } from './support/fullstory-stack.js';
import type { OperatorStack } from './support/operator-stack.js';

const ORG = 'o-1G1-na1';
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 9, 5);

/** What a session is, computed here from the sandbox's events, independently of the SQL that derives it. */
function truthSessions(events: Array<Record<string, unknown>>) {
  const sessions = new Map<string, Array<Record<string, unknown>>>();
  for (const event of events) {
    const key = `${String(event.UserId)}/${String(event.SessionId)}`;
    sessions.set(key, [...(sessions.get(key) ?? []), event]);
  }
  return Object.fromEntries(
    [...sessions].map(([key, rows]) => {
      const starts = rows.map((row) => Date.parse(row.EventStart as string));
      return [key, { start: Math.min(...starts), end: Math.max(...starts), events: rows.length, pages: new Set(rows.map((row) => row.PageId)).size, email: rows[0]!.UserEmail }];
    }),
  );
}

describe('FullStory sessions, derived from their events', () => {
  const { log } = capturingLogger('warn');
  let fullStory: FullStoryStack;
  let sandbox: FullStorySandbox;
  let stack: OperatorStack;

  beforeAll(async () => {
    // 30-minute windows: each generated session spans an hour, so two windows hold its events.
    fullStory = await startFullStoryStack({ orgId: ORG, eventsPerHour: 300, pendingPolls: 0, pollInterval: '50ms', sites: '      events: { credential: fs, sync: { window: 30m, settleDelay: 2s } }', log });
    ({ sandbox, stack } = fullStory);
  });
  afterAll(() => fullStory?.close());

  const backfill = (force: boolean) => {
    const { input } = backfillRequest(stack.config(), { site: `${ORG}/events`, from: new Date(T0).toISOString(), to: new Date(T0 + 3 * HOUR).toISOString(), force });
    return stack.client.workflow.execute(syncRangeWorkflow, { workflowId: `fs-sessions-${randomBytes(4).toString('hex')}`, taskQueue: stack.taskQueue, args: [input] });
  };

  it('holds one exact row per session, its events counted across every window that holds them', async () => {
    await backfill(false);
    const rows = await stack.database.db.selectFrom('fullstory_sessions').selectAll().where('org_id', '=', ORG).execute();
    const stored = Object.fromEntries(rows.map((row) => [`${row.user_id}/${row.session_id}`, { start: row.session_start.getTime(), end: row.session_end.getTime(), events: row.event_count, pages: row.page_count, email: row.email }]));
    const truth = truthSessions(sandbox.events(ORG, T0, T0 + 3 * HOUR));
    expect(Object.keys(truth).length).toBeGreaterThan(10);
    expect(stored).toEqual(truth);
    const spanning = Object.values(truth).filter((session) => Math.floor(session.start / (30 * 60_000)) !== Math.floor(session.end / (30 * 60_000)));
    expect(spanning.length).toBeGreaterThan(0);
    for (const row of rows) expect(BigInt(row.session_id) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
  });

  it('re-exporting unchanged windows rewrites neither an event nor a session', async () => {
    const versions = async () =>
      (await sql<{ v: string }>`select string_agg(xmin::text, ',' order by user_id, session_id) as v from fullstory_sessions`.execute(stack.database.db)).rows[0]?.v +
      (await sql<{ v: string }>`select count(*)::text || ':' || sum(xmin::text::bigint)::text as v from fullstory_events`.execute(stack.database.db)).rows[0]!.v;
    const before = await versions();
    const totals = await backfill(true);
    expect(totals.windowsDone).toBe(6);
    expect(await versions()).toBe(before);
  });
});
