import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';

/**
 * Tries to take one request slot of an account's budget, shared by every
 * process through Postgres: at most `limit` grants in any window of
 * `windowMs`, on the database's clock (no skew between workers), and
 * paced: the first tenth of the limit in a window goes at once (a short
 * run is not held back), every grant past it one spacing (`windowMs /
 * limit`) after the last was due (the generic cell rate algorithm, with a
 * tolerance of one spacing). Without the pace, a run's first burst came
 * free a window later as a burst again, faster than busy workers could
 * take it, and each slot they left free was lost for good: 0.968 of the
 * limit with three workers, against 0.983 with one, whose own throttle
 * (p-throttle, strict) paced it. Grants are serialised per account by a
 * transaction-scoped advisory lock. Returns 0 when granted, otherwise how
 * long to wait before trying again.
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
    const spacingMs = windowMs / limit;
    const state = await sql<{ pausedMs: number; used: number; oldestExpiresMs: number | null; earlyMs: number | null }>`
      select
        coalesce((select greatest(0, extract(epoch from paused_until - clock_timestamp()) * 1000)
                  from rate_budget_pauses where account = ${account}), 0)::float8 as "pausedMs",
        (select count(*) from rate_budget_grants where account = ${account})::int as used,
        (select extract(epoch from min(granted_at) + ${windowMs} * interval '1 millisecond' - clock_timestamp()) * 1000
           from rate_budget_grants where account = ${account})::float8 as "oldestExpiresMs",
        (select extract(epoch from due_at - ${spacingMs} * interval '1 millisecond' - clock_timestamp()) * 1000
           from rate_budget_pace where account = ${account})::float8 as "earlyMs"`.execute(trx);
    const { pausedMs, used, oldestExpiresMs, earlyMs } = state.rows[0]!;
    if (pausedMs > 0) return Math.ceil(pausedMs);
    if (used >= limit) return Math.max(1, Math.ceil(oldestExpiresMs ?? 1));
    if (used >= limit / BURST_SHARE && earlyMs !== null && earlyMs > 0) return Math.ceil(earlyMs);
    await advancePace(trx, account, spacingMs);
    await logGrant(trx, account);
    // Last, so that nothing but the commit stands between the grant's time and the request.
    await trx.insertInto('rate_budget_grants').values({ account }).execute();
    return 0;
  });
}

/** The share of the limit a window's first grants may take at once, before the pace holds. */
const BURST_SHARE = 10;

/**
 * A grant moves the account's next due time on by one spacing from when
 * the last was due, not from now: a grant that came up to a spacing early
 * or late (the lock, a round trip, a timer) does not push every later one
 * back. After a lull, from now.
 */
async function advancePace(trx: Kysely<Database>, account: string, spacingMs: number): Promise<void> {
  const spacing = sql`${spacingMs} * interval '1 millisecond'`;
  await sql`
    insert into rate_budget_pace (account, due_at) values (${account}, clock_timestamp() + ${spacing})
    on conflict (account) do update set due_at = greatest(rate_budget_pace.due_at, clock_timestamp()) + ${spacing}`.execute(trx);
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
