import { sql, type Kysely } from 'kysely';
import { copyGrants } from './20261207000000_partitioned_fullstory_events.js';

// Frozen in time: a migration never imports application code.

/**
 * fullsession_sessions becomes range-partitioned by site and start time
 * (customer_id, site_id, start_time), one partition per site and span, as
 * fullstory_events did in the migration before: its key becomes
 * (customer_id, site_id, start_time, session_id). A session's start is
 * fixed when it begins (FullSession returns a session only once it has
 * ended, and filters on its start: docs/scale.md); its end is not a key,
 * so a session whose end moves is rewritten in place.
 *
 * Readers select by end time. A session ends at or after it starts, so
 * `end_time < t` bounds the start above; below, fullsession_longest_sessions
 * keeps each site's longest session stored, and `end_time >= t` bounds the
 * start at t minus it. The writers keep it (only ever growing).
 *
 * An empty table is replaced. A table that holds sessions is kept whole:
 * the new key's unique index and a CHECK constraint that proves every
 * start is before a cutover seven days ahead are built beforehand by
 * `prepare`, without blocking reads or writes; the migration then makes
 * that index the table's primary key and attaches the table as the
 * partition fullsession_sessions_legacy, reading nothing.
 *
 * The release before this one upserts ON CONFLICT (customer_id, site_id,
 * session_id), which no partitioned table can serve: during a rolling
 * deploy its FullSession pages fail before writing anything and are
 * retried, by Temporal, on this release's workers (docs/operating.md).
 */

const LEGACY_BOUND = 'fullsession_sessions_before_partitions';
const START_KEY = 'fullsession_sessions_start_key';
const SITE_SESSION = 'fullsession_sessions_site_session';
const CUTOVER_AHEAD_MS = 7 * 86_400_000;
const DAY_MS = 86_400_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

/**
 * Outside any transaction, before the migration: builds the indexes the
 * kept table needs as a partition (CONCURRENTLY: writers go on) and proves
 * its bound with a validated CHECK constraint, so the migration's ATTACH
 * reads and builds nothing. Idempotent; nothing to do for an empty or
 * already partitioned table.
 */
export async function prepare(db: Db): Promise<void> {
  if (!(await isPlainTableWithRows(db))) return;
  await buildConcurrently(db, START_KEY, 'create unique index concurrently if not exists %I on fullsession_sessions (customer_id, site_id, start_time, session_id)');
  await buildConcurrently(db, SITE_SESSION, 'create index concurrently if not exists %I on fullsession_sessions (customer_id, site_id, session_id)');
  const cutover = await legacyBound(db);
  // A bound left by a migration that failed days ago would soon refuse the running workers' newest sessions.
  const stale = cutover !== undefined && Date.parse(cutover) < Date.now() + DAY_MS;
  if (cutover === undefined || stale) {
    await db.transaction().execute(async (trx) => {
      await sql`set local lock_timeout = '5s'`.execute(trx);
      if (stale) await sql.raw(`alter table fullsession_sessions drop constraint ${LEGACY_BOUND}`).execute(trx);
      await addLegacyBound(trx);
    });
  }
  await sql.raw(`alter table fullsession_sessions validate constraint ${LEGACY_BOUND}`).execute(db);
}

/** An index a cut-short CONCURRENTLY build left invalid is dropped and built again. */
async function buildConcurrently(db: Db, name: string, statement: string): Promise<void> {
  const invalid = await sql<{ invalid: boolean }>`select not indisvalid as invalid from pg_index where indexrelid = to_regclass(${name})`.execute(db);
  if (invalid.rows[0]?.invalid) await sql.raw(`drop index concurrently ${name}`).execute(db);
  await sql.raw(statement.replace('%I', name)).execute(db);
}

export async function up(db: Db): Promise<void> {
  // Waiting longer for a lock would queue every reader and writer behind this
  // migration; session-sync migrate tries again instead.
  await sql`set local lock_timeout = '5s'`.execute(db);
  await db.schema
    .createTable('fullsession_longest_sessions')
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('site_id', 'text', (c) => c.notNull())
    .addColumn('longest_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('fullsession_longest_sessions_pkey', ['customer_id', 'site_id'])
    .execute();
  // The MCP server's searches read it to bound their start times.
  await sql
    .raw(
      `do $$ begin
        if exists (select from pg_roles where rolname = 'session_sync_mcp_reader') then grant select on fullsession_longest_sessions to session_sync_mcp_reader; end if;
      exception when insufficient_privilege then
        raise notice 'session-sync: could not grant session_sync_mcp_reader SELECT on fullsession_longest_sessions (%); the MCP server needs it: see docs/mcp.md', sqlerrm;
      end $$`,
    )
    .execute(db);
  if (await isPlainTableWithRows(db)) await keepTableAsLegacyPartition(db);
  else await replaceEmptyTable(db);
}

async function isPlainTableWithRows(db: Db): Promise<boolean> {
  const kind = await sql<{ relkind: string }>`select relkind from pg_class where oid = to_regclass('fullsession_sessions')`.execute(db);
  if (kind.rows[0]?.relkind !== 'r') return false;
  const rows = await sql<{ found: boolean }>`select exists (select 1 from fullsession_sessions) as found`.execute(db);
  return rows.rows[0]!.found;
}

/** The cutover the table's CHECK constraint proves, if it has one. */
async function legacyBound(db: Db): Promise<string | undefined> {
  const found = await sql<{ cutover: string }>`
    select obj_description(oid, 'pg_constraint') as cutover from pg_constraint
    where conrelid = to_regclass('fullsession_sessions') and conname = ${LEGACY_BOUND}`.execute(db);
  return found.rows[0]?.cutover;
}

async function addLegacyBound(db: Db): Promise<string> {
  const cutover = new Date(Math.floor((Date.now() + CUTOVER_AHEAD_MS) / DAY_MS) * DAY_MS).toISOString();
  await sql.raw(`alter table fullsession_sessions add constraint ${LEGACY_BOUND} check (start_time < '${cutover}') not valid`).execute(db);
  await sql.raw(`comment on constraint ${LEGACY_BOUND} on fullsession_sessions is '${cutover}'`).execute(db);
  return cutover;
}

async function replaceEmptyTable(db: Db): Promise<void> {
  await sql`create table fullsession_sessions_partitioned (like fullsession_sessions including defaults including storage) partition by range (customer_id, site_id, start_time)`.execute(db);
  await copyGrants(db, 'fullsession_sessions', 'fullsession_sessions_partitioned');
  await sql`drop table fullsession_sessions`.execute(db);
  await sql`alter table fullsession_sessions_partitioned rename to fullsession_sessions`.execute(db);
  await createIndexes(db);
}

async function keepTableAsLegacyPartition(db: Db): Promise<void> {
  // Writers wait from here to the commit (readers do not): the longest
  // session must be measured over every row the partition will hold.
  await sql`lock table fullsession_sessions in share mode`.execute(db);
  await sql`
    insert into fullsession_longest_sessions (customer_id, site_id, longest_ms)
    select customer_id, site_id, max((extract(epoch from end_time - start_time) * 1000)::bigint) from fullsession_sessions group by customer_id, site_id`.execute(db);
  // Built by prepare(); a database migrated without it (an older `migrate`) builds them here.
  await sql.raw(`create unique index if not exists ${START_KEY} on fullsession_sessions (customer_id, site_id, start_time, session_id)`).execute(db);
  await sql.raw(`create index if not exists ${SITE_SESSION} on fullsession_sessions (customer_id, site_id, session_id)`).execute(db);
  const cutover = (await legacyBound(db)) ?? (await addLegacyBound(db));
  // Validated already by prepare(): then this reads nothing.
  await sql.raw(`alter table fullsession_sessions validate constraint ${LEGACY_BOUND}`).execute(db);
  await sql`alter table fullsession_sessions drop constraint fullsession_sessions_pkey`.execute(db);
  await sql.raw(`alter table fullsession_sessions add constraint fullsession_sessions_legacy_pkey primary key using index ${START_KEY}`).execute(db);
  // The new primary key leads with the same columns.
  await sql`drop index if exists fullsession_sessions_site_start_time`.execute(db);
  await sql`alter table fullsession_sessions rename to fullsession_sessions_legacy`.execute(db);
  await sql.raw(`alter index ${SITE_SESSION} rename to fullsession_sessions_legacy_site_session`).execute(db);
  await sql`alter index fullsession_sessions_site_end rename to fullsession_sessions_legacy_site_end`.execute(db);
  await sql`create table fullsession_sessions (like fullsession_sessions_legacy including defaults including storage) partition by range (start_time)`.execute(db);
  await copyGrants(db, 'fullsession_sessions_legacy', 'fullsession_sessions');
  // Built on the empty parent; the legacy table's own indexes match them and are attached, not rebuilt.
  await createIndexes(db);
  await sql.raw(`create table fullsession_sessions_by_site partition of fullsession_sessions for values from ('${cutover}') to (maxvalue) partition by range (customer_id, site_id, start_time)`).execute(db);
  await sql.raw(`alter table fullsession_sessions attach partition fullsession_sessions_legacy for values from (minvalue) to ('${cutover}')`).execute(db);
  await sql.raw(`alter table fullsession_sessions_legacy drop constraint ${LEGACY_BOUND}`).execute(db);
  await sql`insert into sync_partitions (partition_name, parent_table, range_end) values ('fullsession_sessions_legacy', 'fullsession_sessions', ${cutover})`.execute(db);
}

async function createIndexes(db: Db): Promise<void> {
  await sql`alter table fullsession_sessions add constraint fullsession_sessions_pkey primary key (customer_id, site_id, start_time, session_id)`.execute(db);
  // MCP get_session finds a session by its id alone.
  await sql.raw(`create index ${SITE_SESSION} on fullsession_sessions (customer_id, site_id, session_id)`).execute(db);
  // search_sessions pages by end time, then id, within a site.
  await sql`create index fullsession_sessions_site_end on fullsession_sessions (customer_id, site_id, end_time, session_id)`.execute(db);
}

/** Back to one plain table, rows copied: for development, not for a live copy. */
export async function down(db: Db): Promise<void> {
  await sql`create table fullsession_sessions_plain (like fullsession_sessions including defaults including storage)`.execute(db);
  await sql`insert into fullsession_sessions_plain select * from fullsession_sessions`.execute(db);
  await copyGrants(db, 'fullsession_sessions', 'fullsession_sessions_plain');
  await sql`drop table fullsession_sessions cascade`.execute(db);
  await sql`alter table fullsession_sessions_plain rename to fullsession_sessions`.execute(db);
  await sql`alter table fullsession_sessions add constraint fullsession_sessions_pkey primary key (customer_id, site_id, session_id)`.execute(db);
  await sql`create index fullsession_sessions_site_start_time on fullsession_sessions (customer_id, site_id, start_time)`.execute(db);
  await sql`create index fullsession_sessions_site_end on fullsession_sessions (customer_id, site_id, end_time, session_id)`.execute(db);
  await sql`delete from sync_partitions where parent_table = 'fullsession_sessions'`.execute(db);
  await db.schema.dropTable('fullsession_longest_sessions').execute();
}
