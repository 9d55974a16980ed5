import { sql, type Kysely } from 'kysely';
import { copyGrants } from './20261207000000_partitioned_fullstory_events.js';

// Frozen in time: a migration never imports application code.

/**
 * fullstory_sessions becomes range-partitioned by site and the session's
 * start as FullStory says it (org_id, stream, started_at), as
 * fullstory_events and fullsession_sessions did before it: retention then
 * drops its partitions too, where it deleted its rows.
 *
 * A session's row needs a time that every one of its events names and
 * that never changes: the first of its events moves when a late event
 * lands. FullStory exports the session's start (`SessionStart`) on every
 * event. An event's key into its session is that start when it is an
 * exact instant at most two days before the event, else the UTC day of
 * the event (a field missing, unreadable, or far from the event: the
 * export's own word is not trusted beyond what bounds it). So a session's
 * events all lie within two days after its key: a late event finds its
 * session's row in one partition, and readers bound the key by the end.
 * fullstory_events keeps the key in `session_started_at`, set by the load
 * (or, for rows loaded before this release, read from `raw` by
 * fullstory_session_started_at, the same rule).
 *
 * An empty table is replaced. A table that holds sessions is kept whole,
 * as the partition fullstory_sessions_legacy of the new table: `prepare`
 * gives it the column (every kept row keyed -infinity: loaded before keys
 * were kept), the new key's unique index, and a CHECK constraint that
 * proves its bound, without blocking reads or writes; the migration then
 * attaches it, reading nothing. A kept row is replaced by a keyed one the
 * first time a load touches its session.
 *
 * The release before this one upserts sessions ON CONFLICT (org_id,
 * stream, user_id, session_id), which no partitioned table can serve:
 * during a rolling deploy its FullStory loads fail before writing anything
 * and are retried on this release's workers (docs/operating.md).
 */

const LEGACY_BOUND = 'fullstory_sessions_before_partitions';
const START_KEY = 'fullstory_sessions_start_key';
const CUTOVER_AHEAD_MS = 7 * 86_400_000;
const DAY_MS = 86_400_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

/**
 * Outside any transaction, before the migration: gives the kept table its
 * key column (a moment's lock: a constant default rewrites nothing), builds
 * the key's unique index CONCURRENTLY and proves its bound with a
 * validated CHECK constraint, so the migration's ATTACH reads and builds
 * nothing. Idempotent; nothing to do for an empty or partitioned table.
 */
export async function prepare(db: Db): Promise<void> {
  if (!(await isPlainTableWithRows(db))) return;
  await db.transaction().execute(async (trx) => {
    await sql`set local lock_timeout = '5s'`.execute(trx);
    await addKeyColumn(trx);
  });
  const invalid = await sql<{ invalid: boolean }>`select not indisvalid as invalid from pg_index where indexrelid = to_regclass(${START_KEY})`.execute(db);
  if (invalid.rows[0]?.invalid) await sql.raw(`drop index concurrently ${START_KEY}`).execute(db);
  await sql.raw(`create unique index concurrently if not exists ${START_KEY} on fullstory_sessions (org_id, stream, user_id, session_id, started_at)`).execute(db);
  const cutover = await legacyBound(db);
  // A bound left by a migration that failed days ago would soon refuse the running workers' newest sessions.
  const stale = cutover !== undefined && Date.parse(cutover) < Date.now() + DAY_MS;
  if (cutover === undefined || stale) {
    await db.transaction().execute(async (trx) => {
      await sql`set local lock_timeout = '5s'`.execute(trx);
      if (stale) await sql.raw(`alter table fullstory_sessions drop constraint ${LEGACY_BOUND}`).execute(trx);
      await addLegacyBound(trx);
    });
  }
  await sql.raw(`alter table fullstory_sessions validate constraint ${LEGACY_BOUND}`).execute(db);
}

export async function up(db: Db): Promise<void> {
  // Waiting longer for a lock would queue every reader and writer behind this
  // migration; session-sync migrate tries again instead.
  await sql`set local lock_timeout = '5s'`.execute(db);
  // Null in the rows loaded before it: fullstory_session_started_at reads them from raw.
  await sql`alter table fullstory_events add column session_started_at timestamptz`.execute(db);
  await createKeyFunction(db);
  if (await isPlainTableWithRows(db)) await keepTableAsLegacyPartition(db);
  else await replaceEmptyTable(db);
}

/**
 * An event's key into its session (see above), exactly as the load
 * computes it from the line (sources/fullstory/session-key.ts): an instant
 * written as `YYYY-MM-DDTHH:MM:SS[.fff]Z` that names a real time, at most
 * two days before the event and not after it; else the event's UTC day.
 */
async function createKeyFunction(db: Db): Promise<void> {
  await sql`
    create function fullstory_session_started_at(session_start text, event_start timestamptz) returns timestamptz
    language plpgsql immutable parallel safe as $$
    declare
      started timestamptz;
    begin
      if session_start ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,3})?Z$' then
        begin
          started := session_start::timestamptz;
        exception when others then
          started := null; -- a day the month does not have
        end;
      end if;
      if started <= event_start and started >= event_start - interval '2 days' then
        return started;
      end if;
      return date_trunc('day', event_start at time zone 'UTC') at time zone 'UTC';
    end $$`.execute(db);
}

async function isPlainTableWithRows(db: Db): Promise<boolean> {
  const kind = await sql<{ relkind: string }>`select relkind from pg_class where oid = to_regclass('fullstory_sessions')`.execute(db);
  if (kind.rows[0]?.relkind !== 'r') return false;
  const rows = await sql<{ found: boolean }>`select exists (select 1 from fullstory_sessions) as found`.execute(db);
  return rows.rows[0]!.found;
}

async function addKeyColumn(db: Db): Promise<void> {
  await sql`alter table fullstory_sessions add column if not exists started_at timestamptz not null default '-infinity'`.execute(db);
}

/** The cutover the table's CHECK constraint proves, if it has one. */
async function legacyBound(db: Db): Promise<string | undefined> {
  const found = await sql<{ cutover: string }>`
    select obj_description(oid, 'pg_constraint') as cutover from pg_constraint
    where conrelid = to_regclass('fullstory_sessions') and conname = ${LEGACY_BOUND}`.execute(db);
  return found.rows[0]?.cutover;
}

async function addLegacyBound(db: Db): Promise<string> {
  const cutover = new Date(Math.floor((Date.now() + CUTOVER_AHEAD_MS) / DAY_MS) * DAY_MS).toISOString();
  await sql.raw(`alter table fullstory_sessions add constraint ${LEGACY_BOUND} check (started_at < '${cutover}') not valid`).execute(db);
  await sql.raw(`comment on constraint ${LEGACY_BOUND} on fullstory_sessions is '${cutover}'`).execute(db);
  return cutover;
}

async function replaceEmptyTable(db: Db): Promise<void> {
  await sql`create table fullstory_sessions_partitioned (like fullstory_sessions including defaults including storage, started_at timestamptz not null) partition by range (org_id, stream, started_at)`.execute(db);
  await copyGrants(db, 'fullstory_sessions', 'fullstory_sessions_partitioned');
  await sql`drop table fullstory_sessions`.execute(db);
  await sql`alter table fullstory_sessions_partitioned rename to fullstory_sessions`.execute(db);
  await createIndexes(db);
}

async function keepTableAsLegacyPartition(db: Db): Promise<void> {
  // Made by prepare(); a database migrated without it (an older `migrate`) makes them here.
  await addKeyColumn(db);
  await sql.raw(`create unique index if not exists ${START_KEY} on fullstory_sessions (org_id, stream, user_id, session_id, started_at)`).execute(db);
  const cutover = (await legacyBound(db)) ?? (await addLegacyBound(db));
  // Validated already by prepare(): then this reads nothing.
  await sql.raw(`alter table fullstory_sessions validate constraint ${LEGACY_BOUND}`).execute(db);
  await sql`alter table fullstory_sessions drop constraint fullstory_sessions_pkey`.execute(db);
  await sql.raw(`alter table fullstory_sessions add constraint fullstory_sessions_legacy_pkey primary key using index ${START_KEY}`).execute(db);
  // Nothing reads by start: the new table has no such index.
  await sql`drop index if exists fullstory_sessions_start`.execute(db);
  await sql`alter table fullstory_sessions rename to fullstory_sessions_legacy`.execute(db);
  await sql`alter index fullstory_sessions_end rename to fullstory_sessions_legacy_end`.execute(db);
  await sql`create table fullstory_sessions (like fullstory_sessions_legacy including storage) partition by range (started_at)`.execute(db);
  await sql`alter table fullstory_sessions alter column updated_at set default now()`.execute(db);
  await copyGrants(db, 'fullstory_sessions_legacy', 'fullstory_sessions');
  // Built on the empty parent; the legacy table's own indexes match them and are attached, not rebuilt.
  await createIndexes(db);
  await sql.raw(`create table fullstory_sessions_by_site partition of fullstory_sessions for values from ('${cutover}') to (maxvalue) partition by range (org_id, stream, started_at)`).execute(db);
  await sql.raw(`alter table fullstory_sessions attach partition fullstory_sessions_legacy for values from (minvalue) to ('${cutover}')`).execute(db);
  await sql.raw(`alter table fullstory_sessions_legacy drop constraint ${LEGACY_BOUND}`).execute(db);
  await sql`insert into sync_partitions (partition_name, parent_table, range_end) values ('fullstory_sessions_legacy', 'fullstory_sessions', ${cutover})`.execute(db);
}

async function createIndexes(db: Db): Promise<void> {
  // Led by the session's ids: a load and MCP get_session find a session by them, one probe a partition.
  await sql`alter table fullstory_sessions add constraint fullstory_sessions_pkey primary key (org_id, stream, user_id, session_id, started_at)`.execute(db);
  // search_sessions pages by end time, then id, within a site.
  await sql`create index fullstory_sessions_end on fullstory_sessions (org_id, stream, session_end, session_id)`.execute(db);
}

/** Back to one plain table, rows copied: for development, not for a live copy. */
export async function down(db: Db): Promise<void> {
  await sql`create table fullstory_sessions_plain (like fullstory_sessions including defaults including storage)`.execute(db);
  await sql`insert into fullstory_sessions_plain select * from fullstory_sessions`.execute(db);
  await copyGrants(db, 'fullstory_sessions', 'fullstory_sessions_plain');
  await sql`drop table fullstory_sessions cascade`.execute(db);
  await sql`alter table fullstory_sessions_plain rename to fullstory_sessions`.execute(db);
  await sql`alter table fullstory_sessions drop column started_at`.execute(db);
  await sql`alter table fullstory_sessions add constraint fullstory_sessions_pkey primary key (org_id, stream, user_id, session_id)`.execute(db);
  await sql`create index fullstory_sessions_start on fullstory_sessions (org_id, stream, session_start)`.execute(db);
  await sql`create index fullstory_sessions_end on fullstory_sessions (org_id, stream, session_end, session_id)`.execute(db);
  await sql`delete from sync_partitions where parent_table = 'fullstory_sessions'`.execute(db);
  await sql`drop function fullstory_session_started_at(text, timestamptz)`.execute(db);
  await sql`alter table fullstory_events drop column session_started_at`.execute(db);
}
