import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase } from '../db/connect.js';
import type { Database } from '../db/database.js';
import { tryTakeSlot } from '../db/rate-budget-repository.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';
import type { Kysely } from 'kysely';

/**
 * A grant's recorded time is what the shared budget's window counts from,
 * and the request leaves when tryTakeSlot returns: a slow commit between
 * the two sends requests later than recorded, and the API, counting
 * arrivals, sees more than its limit in a minute (429s while a bulk load
 * kept the disk busy). Here every commit that waits for the WAL flush waits
 * 100 ms more (commit_delay at its largest, for every commit).
 */
describe('the shared rate budget on a slow disk', () => {
  let database: TestDatabase;
  let slowCommits: Kysely<Database>;

  beforeAll(async () => {
    database = await createTestDatabase();
    const name = new URL(database.url).pathname.slice(1);
    await sql`alter database ${sql.id(name)} set commit_delay = 100000`.execute(database.db);
    await sql`alter database ${sql.id(name)} set commit_siblings = 0`.execute(database.db);
    // Settings of a database apply to connections made after them.
    slowCommits = connectDatabase({ url: database.url, maxConnections: 1 });
  });
  afterAll(async () => {
    await slowCommits?.destroy();
    await database?.drop();
  });

  it('returns a grant within moments of its recorded time, not after a WAL flush', async () => {
    // The setting is in force: a plain commit here takes the 100 ms.
    const started = performance.now();
    await slowCommits.transaction().execute((trx) => trx.insertInto('rate_budget_log').values({ account: 'control' }).execute());
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);

    const lags: number[] = [];
    for (let grant = 0; grant < 5; grant++) {
      expect(await tryTakeSlot(slowCommits, 'fullsession:slow-disk', 600, 61_000)).toBe(0);
      const { rows } = await sql<{ lagMs: number }>`select (extract(epoch from clock_timestamp() - max(granted_at)) * 1000)::float8 as "lagMs" from rate_budget_grants where account = 'fullsession:slow-disk'`.execute(slowCommits);
      lags.push(rows[0]!.lagMs);
    }
    // The least of five, so that a busy machine's one slow round trip does not decide it.
    expect(Math.min(...lags)).toBeLessThan(100);
  });
});
