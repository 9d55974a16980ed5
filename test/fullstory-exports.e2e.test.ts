import { randomBytes } from 'node:crypto';
import { QueryNotRegisteredError, WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FREE_PAGES } from '../activities/paging-guard.js';
import { backfillRequest } from '../cli/backfill-request.js';
import { progressLine } from '../cli/progress-display.js';
import type { FullStorySandbox } from '../devstack/sandboxes/fullstory/fullstory-sandbox.js';
import { progressQuery, syncRangeWorkflow } from '../workflows/sync-range-workflow.js';
import { capturingLogger } from './support/capturing-logger.js';
import { storedFullStoryRows } from './support/fullstory-rows.js';
import { startFullStoryStack, type FullStoryStack } from './support/fullstory-stack.js';
import type { OperatorStack } from './support/operator-stack.js';

const ORG = 'o-4X4-na1';
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 9, 12);
const POLL_MS = 250;

/** The multiset of rows, comparable with toEqual. */
const sorted = (rows: Array<Record<string, unknown>>) => rows.map((row) => JSON.stringify(row, Object.keys(row).sort())).sort();

describe('FullStory exports: progress, 429s and failed exports', () => {
  const { log } = capturingLogger('warn');
  let fullStory: FullStoryStack;
  let sandbox: FullStorySandbox;
  let stack: OperatorStack;
  let hour = 0;

  beforeAll(async () => {
    fullStory = await startFullStoryStack({ orgId: ORG, eventsPerHour: 200, pendingPolls: 4, pollInterval: `${POLL_MS}ms`, sites: '      events: { credential: fs, sync: { window: 1h, settleDelay: 2s } }', log });
    ({ sandbox, stack } = fullStory);
  });
  afterAll(() => fullStory?.close());

  /** Starts a backfill of the next unused hour, so each test reads its own window. */
  const startNextHour = async () => {
    const from = T0 + hour++ * HOUR;
    const { input } = backfillRequest(stack.config(), { site: `${ORG}/events`, from: new Date(from).toISOString(), to: new Date(from + HOUR).toISOString(), force: false });
    const handle = await stack.client.workflow.start(syncRangeWorkflow, { workflowId: `fs-exports-${randomBytes(4).toString('hex')}`, taskQueue: stack.taskQueue, args: [input] });
    return { handle, from, to: from + HOUR };
  };
  const apiRequestsSince = (index: number) => sandbox.requests.slice(index).filter((request) => !request.path.startsWith('/_files/'));

  it("shows FullStory's estimate of a running export in the progress query and line, for more polls than the paging guard's free pages", async () => {
    sandbox.pendingPolls = FREE_PAGES + 2;
    const { handle, from, to } = await startNextHour();
    const seen = new Set<number | null>();
    let line = '';
    while ((await handle.describe()).status.name === 'RUNNING') {
      // The first query may come before the workflow has registered its handler.
      const progress = await handle.query(progressQuery).catch((error: unknown) => {
        if (error instanceof QueryNotRegisteredError) return null;
        throw error;
      });
      if (!progress) continue;
      seen.add(progress.exportPercent);
      if (progress.exportPercent !== null && progress.exportPercent > 0) line = progressLine(progress, 'events');
      await new Promise((resolve) => setTimeout(resolve, POLL_MS / 4));
    }
    await handle.result();
    sandbox.pendingPolls = 4;
    // The sandbox's estimate after poll n of 12 pending ones is n/13.
    const estimates = Array.from({ length: FREE_PAGES + 2 }, (_, n) => Math.round(((n + 1) / (FREE_PAGES + 3)) * 100));
    const shown = [...seen].filter((percent) => percent !== null && percent > 0);
    expect(shown.length).toBeGreaterThan(0);
    for (const percent of shown) expect(estimates).toContain(percent);
    expect(line).toMatch(/^progress: 0% windows 0\/1, pages \d+, events 0, requests \d+, current window \S+ \(export \d+% done\), ETA /);
    expect((await handle.query(progressQuery)).exportPercent).toBeNull();
    expect(sorted(await storedFullStoryRows(stack.database.db, ORG, from, to))).toEqual(sorted(sandbox.events(ORG, from, to)));
  });

  it('waits out a 429 for its Retry-After, then goes on with exact rows', async () => {
    const first = sandbox.requests.length;
    sandbox.rateLimitNext(2, 1);
    const { handle, from, to } = await startNextHour();
    await handle.result();
    const requests = apiRequestsSince(first);
    expect(requests.slice(0, 3).map((request) => request.status)).toEqual([429, 429, 200]);
    // Each request after a 429 waited at least the second it was told to.
    expect(requests[1]!.at - requests[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(requests[2]!.at - requests[1]!.at).toBeGreaterThanOrEqual(1000);
    expect(sorted(await storedFullStoryRows(stack.database.db, ORG, from, to))).toEqual(sorted(sandbox.events(ORG, from, to)));
  });

  it('creates a FAILED export again, and fails the window with FullStory\'s details after 3 attempts', async () => {
    // FullStory answers each poll at once: an export's outcome is its first poll.
    sandbox.pendingPolls = 0;
    let first = sandbox.requests.length;
    sandbox.failNextExports(1, 'internal error');
    const recovered = await startNextHour();
    await recovered.handle.result();
    expect(apiRequestsSince(first).filter((request) => request.method === 'POST').length).toBe(2);
    expect(sorted(await storedFullStoryRows(stack.database.db, ORG, recovered.from, recovered.to))).toEqual(sorted(sandbox.events(ORG, recovered.from, recovered.to)));

    first = sandbox.requests.length;
    sandbox.failNextExports(3, 'export too large');
    const failing = await startNextHour();
    const failure = await failing.handle.result().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(rootMessage(failure)).toBe("FullStory's export of this window failed 3 times; the last: export too large. The next run of the window exports it again");
    // The third FAILED answer ends the window: its operation is not polled again.
    expect(apiRequestsSince(first).filter((request) => request.method === 'GET').length).toBe(3);
    expect(apiRequestsSince(first).filter((request) => request.method === 'POST').length).toBe(3);
    expect(await storedFullStoryRows(stack.database.db, ORG, failing.from, failing.to)).toEqual([]);
  });
});

function rootMessage(error: unknown): string {
  let current = error as { cause?: unknown; message?: string };
  while (current.cause) current = current.cause as { cause?: unknown; message?: string };
  return current.message ?? '';
}
