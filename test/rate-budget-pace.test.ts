import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tryTakeSlot } from '../db/rate-budget-repository.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

/**
 * The shared budget paces its grants: a tenth of the limit at once, then
 * one every window ÷ limit, so a window later the slots come free as
 * evenly as they were taken; the sliding window still bounds everything.
 */
describe('the shared rate budget paces its grants', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.drop());

  /** Grants taken at once until the budget says wait; with how long the taking took and the wait it said. */
  async function takeUntilTold(account: string, limit: number, windowMs: number): Promise<{ granted: number; elapsedMs: number; waitMs: number }> {
    const started = performance.now();
    for (let granted = 0; ; granted++) {
      const waitMs = await tryTakeSlot(database.db, account, limit, windowMs);
      if (waitMs > 0) return { granted, elapsedMs: performance.now() - started, waitMs };
    }
  }

  it('grants a tenth of the limit at once, then holds the next until one spacing before it is due', async () => {
    // 600 a 61 s window: a spacing of 101.7 ms. After 60 at once, the next is due 60 spacings after the first, and may come one early.
    const { granted, elapsedMs, waitMs } = await takeUntilTold('fullsession:burst', 600, 61_000);
    expect(granted).toBe(60);
    expect(waitMs).toBeGreaterThan(59 * (61_000 / 600) - elapsedMs - 50);
    expect(waitMs).toBeLessThanOrEqual(Math.ceil(59 * (61_000 / 600)));
  });

  it('after the burst, says to wait until the next grant is due: the spacing from the last one due, not from now', async () => {
    // 10 a 60 s window: a spacing of 6 s and a burst of one. The second is due 6 s after the first and may come a spacing early, at once; the third 6 s later.
    const { granted, elapsedMs, waitMs } = await takeUntilTold('fullsession:spaced', 10, 60_000);
    expect(granted).toBe(2);
    expect(waitMs).toBeGreaterThan(6_000 - elapsedMs - 50);
    expect(waitMs).toBeLessThanOrEqual(6_000);
  });

  it('never lets the pace take more than the limit in a window', async () => {
    // 3 a 61 s window: one grant is due every 20.3 s; the pace would allow
    // the second after 14.2 s, but the window counts it among three.
    const account = 'fullsession:window';
    expect(await tryTakeSlot(database.db, account, 3, 61_000)).toBe(0);
    // As if three grants had been made, the last one due long ago: the window alone holds the next.
    await sql`insert into rate_budget_grants (account, granted_at) values (${account}, clock_timestamp() - interval '30 seconds'), (${account}, clock_timestamp() - interval '20 seconds')`.execute(database.db);
    await sql`update rate_budget_pace set due_at = clock_timestamp() - interval '1 hour' where account = ${account}`.execute(database.db);
    const waitMs = await tryTakeSlot(database.db, account, 3, 61_000);
    expect(waitMs).toBeGreaterThan(30_000);
    expect(waitMs).toBeLessThanOrEqual(31_000);
  });
});
