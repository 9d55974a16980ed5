import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';

/**
 * Tries to take one request slot of an account's budget, shared by every
 * process through Postgres: at most `limit` grants in any window of
 * `windowMs`, on the database's clock (no skew between workers). Grants are
 * serialised per account by a transaction-scoped advisory lock. Returns 0 when
 * granted, otherwise how long to wait before trying again.
 *
 * @example const waitMs = await tryTakeSlot(db, 'fullsession:cust-1', 20, 61_000)
 */
export async function tryTakeSlot(db: Kysely<Database>, account: string, limit: number, windowMs: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    // The grant's time is taken before the commit, and the request leaves
    // after it: a commit waiting on a busy disk's WAL flush would send the
    // request seconds after its recorded time, past the window's margin
    // (2 × 429 in a minute while a bulk load filled the disk). Not waiting
    // for the flush keeps the commit quick; a crash of Postgres can lose the
    // last grants, at worst a 429 that pauses the account.
    await sql`set local synchronous_commit = off`.execute(trx);
    await sql`select pg_advisory_xact_lock(hashtext(${`rate-budget:${account}`}))`.execute(trx);
    const window = sql<Date>`clock_timestamp() - ${windowMs} * interval '1 millisecond'`;
    await trx.deleteFrom('rate_budget_grants').where('account', '=', account).where('granted_at', '<=', window).execute();
    const state = await sql<{ pausedMs: number; used: number; oldestExpiresMs: number | null }>`
      select
        coalesce((select greatest(0, extract(epoch from paused_until - clock_timestamp()) * 1000)
                  from rate_budget_pauses where account = ${account}), 0)::float8 as "pausedMs",
        (select count(*) from rate_budget_grants where account = ${account})::int as used,
        (select extract(epoch from min(granted_at) + ${windowMs} * interval '1 millisecond' - clock_timestamp()) * 1000
           from rate_budget_grants where account = ${account})::float8 as "oldestExpiresMs"`.execute(trx);
    const { pausedMs, used, oldestExpiresMs } = state.rows[0]!;
    if (pausedMs > 0) return Math.ceil(pausedMs);
    if (used >= limit) return Math.max(1, Math.ceil(oldestExpiresMs ?? 1));
    await logGrant(trx, account);
    // Last, so that nothing but the commit stands between the grant's time and the request.
    await trx.insertInto('rate_budget_grants').values({ account }).execute();
    return 0;
  });
}

/** After a 429, stops every process from calling the account's API for `ms`. */
export async function pauseAccount(db: Kysely<Database>, account: string, ms: number): Promise<void> {
  const until = sql<Date>`clock_timestamp() + ${ms} * interval '1 millisecond'`;
  await db
    .insertInto('rate_budget_pauses')
    .values({ account, paused_until: until })
    .onConflict((oc) => oc.column('account').doUpdateSet({ paused_until: sql`greatest(rate_budget_pauses.paused_until, excluded.paused_until)` }))
    .execute();
}

/** How long the log of granted requests keeps them: a day, and an hour to spare. */
const LOG_KEEP = sql`interval '25 hours'`;

/** Notes a granted request in the day-long log (`status`, `plan`), dropping the account's rows older than that. */
async function logGrant(trx: Kysely<Database>, account: string): Promise<void> {
  await trx.deleteFrom('rate_budget_log').where('account', '=', account).where('granted_at', '<', sql<Date>`clock_timestamp() - ${LOG_KEEP}`).execute();
  await trx.insertInto('rate_budget_log').values({ account }).execute();
}

/** Requests granted to each account in the last hour and the last day, from the log. */
export async function budgetSpent(db: Kysely<Database>, accounts: readonly string[]): Promise<Map<string, { lastHour: number; lastDay: number }>> {
  const spent = new Map(accounts.map((account) => [account, { lastHour: 0, lastDay: 0 }]));
  if (accounts.length === 0) return spent;
  const rows = await db
    .selectFrom('rate_budget_log')
    .select(['account', sql<string>`count(*) filter (where granted_at > now() - interval '1 hour')`.as('hour'), sql<string>`count(*)`.as('day')])
    .where('account', 'in', accounts)
    .where('granted_at', '>', sql<Date>`now() - interval '1 day'`)
    .groupBy('account')
    .execute();
  for (const row of rows) spent.set(row.account, { lastHour: Number(row.hour), lastDay: Number(row.day) });
  return spent;
}
