import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.

/**
 * fullstory_events becomes range-partitioned by site and time
 * (org_id, stream, event_start): one partition per site and span (a day by
 * default), created ahead of the data by the workers (db/site-partitions.ts)
 * and recorded in sync_partitions. One level only, so Citus can still
 * distribute it on org_id (Citus partitions a single level).
 *
 * An empty table is simply replaced. A table that holds events is kept
 * whole, not rewritten: it becomes the partition fullstory_events_legacy
 * of a table partitioned by time, holding every event before a cutover
 * seven days ahead; events from the cutover on go to the per-site
 * partitions under fullstory_events_by_site. Postgres only attaches a
 * table without reading it when a valid CHECK constraint already proves
 * its bound, so `prepare` adds that constraint NOT VALID (a moment's lock)
 * and validates it (reads the table, while reads and writes go on) before
 * the migration's transaction, whose renames and ATTACH then take
 * moments. The cutover is a week ahead because workers of the release
 * before this one keep writing during a rolling deploy, and they must
 * only ever write below it (see docs/scale.md).
 */

const LEGACY_BOUND = 'fullstory_events_before_partitions';
const CUTOVER_AHEAD_MS = 7 * 86_400_000;
const DAY_MS = 86_400_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;

/**
 * Outside any transaction, before the migration: proves the bound of the
 * table's rows with a validated CHECK constraint, so the migration's
 * ATTACH reads nothing. Idempotent; nothing to do for an empty or already
 * partitioned table.
 */
export async function prepare(db: Db): Promise<void> {
  if (!(await isPlainTableWithRows(db))) return;
  const cutover = await legacyBound(db);
  // A bound left by a migration that failed days ago would soon refuse the running workers' newest events.
  const stale = cutover !== undefined && Date.parse(cutover) < Date.now() + DAY_MS;
  if (cutover === undefined || stale) {
    await db.transaction().execute(async (trx) => {
      await sql`set local lock_timeout = '5s'`.execute(trx);
      if (stale) await sql.raw(`alter table fullstory_events drop constraint ${LEGACY_BOUND}`).execute(trx);
      await addLegacyBound(trx);
    });
  }
  await sql.raw(`alter table fullstory_events validate constraint ${LEGACY_BOUND}`).execute(db);
}

export async function up(db: Db): Promise<void> {
  // Waiting longer for a lock would queue every reader and writer behind this
  // migration; session-sync migrate tries again instead.
  await sql`set local lock_timeout = '5s'`.execute(db);
  await db.schema
    .createTable('sync_partitions')
    .addColumn('partition_name', 'text', (c) => c.primaryKey())
    .addColumn('parent_table', 'text', (c) => c.notNull())
    // Null for a partition that holds every site: the table as it was before partitioning.
    .addColumn('customer_id', 'text')
    .addColumn('site_id', 'text')
    // Null: from the beginning of time.
    .addColumn('range_start', 'timestamptz')
    .addColumn('range_end', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // Set when retention took the partition's rows away (dropped, or detached and kept as a table
    // outside the copy): the coverage ledger's record that its range is expired, not a gap.
    .addColumn('expired_at', 'timestamptz')
    .addColumn('retention_action', 'text', (c) => c.check(sql`retention_action in ('dropped', 'detached')`))
    .execute();
  await db.schema.createIndex('sync_partitions_site').on('sync_partitions').columns(['parent_table', 'customer_id', 'site_id', 'range_start']).execute();
  // What retention took is part of what says how complete the copy is: the MCP reader reads it too.
  await sql
    .raw(
      `do $$ begin
        if exists (select from pg_roles where rolname = 'session_sync_mcp_reader') then grant select on sync_partitions to session_sync_mcp_reader; end if;
      exception when insufficient_privilege then
        raise notice 'session-sync: could not grant session_sync_mcp_reader SELECT on sync_partitions (%); the MCP server needs it: see docs/mcp.md', sqlerrm;
      end $$`,
    )
    .execute(db);
  if (await isPlainTableWithRows(db)) await keepTableAsLegacyPartition(db);
  else await replaceEmptyTable(db);
}

async function isPlainTableWithRows(db: Db): Promise<boolean> {
  const kind = await sql<{ relkind: string }>`select relkind from pg_class where oid = to_regclass('fullstory_events')`.execute(db);
  if (kind.rows[0]?.relkind !== 'r') return false;
  const rows = await sql<{ found: boolean }>`select exists (select 1 from fullstory_events) as found`.execute(db);
  return rows.rows[0]!.found;
}

/** The cutover the table's CHECK constraint proves, if it has one. */
async function legacyBound(db: Db): Promise<string | undefined> {
  const found = await sql<{ cutover: string }>`
    select obj_description(oid, 'pg_constraint') as cutover from pg_constraint
    where conrelid = to_regclass('fullstory_events') and conname = ${LEGACY_BOUND}`.execute(db);
  return found.rows[0]?.cutover;
}

async function addLegacyBound(db: Db): Promise<string> {
  const cutover = new Date(Math.floor((Date.now() + CUTOVER_AHEAD_MS) / DAY_MS) * DAY_MS).toISOString();
  await sql.raw(`alter table fullstory_events add constraint ${LEGACY_BOUND} check (event_start < '${cutover}') not valid`).execute(db);
  await sql.raw(`comment on constraint ${LEGACY_BOUND} on fullstory_events is '${cutover}'`).execute(db);
  return cutover;
}

async function replaceEmptyTable(db: Db): Promise<void> {
  await sql`create table fullstory_events_partitioned (like fullstory_events including defaults including storage) partition by range (org_id, stream, event_start)`.execute(db);
  await copyGrants(db, 'fullstory_events', 'fullstory_events_partitioned');
  await sql`drop table fullstory_events`.execute(db);
  await sql`alter table fullstory_events_partitioned rename to fullstory_events`.execute(db);
  await createIndexes(db);
}

async function keepTableAsLegacyPartition(db: Db): Promise<void> {
  const cutover = (await legacyBound(db)) ?? (await addLegacyBound(db));
  // Validated already by prepare(): then this reads nothing.
  await sql.raw(`alter table fullstory_events validate constraint ${LEGACY_BOUND}`).execute(db);
  await sql`alter table fullstory_events rename to fullstory_events_legacy`.execute(db);
  await sql`alter table fullstory_events_legacy rename constraint fullstory_events_pkey to fullstory_events_legacy_pkey`.execute(db);
  await sql`alter index fullstory_events_session rename to fullstory_events_legacy_session`.execute(db);
  await sql`alter index fullstory_events_left rename to fullstory_events_legacy_left`.execute(db);
  await sql`create table fullstory_events (like fullstory_events_legacy including defaults including storage) partition by range (event_start)`.execute(db);
  await copyGrants(db, 'fullstory_events_legacy', 'fullstory_events');
  // Built on the empty parent; the legacy table's own indexes match them and are attached, not rebuilt.
  await createIndexes(db);
  await sql.raw(`create table fullstory_events_by_site partition of fullstory_events for values from ('${cutover}') to (maxvalue) partition by range (org_id, stream, event_start)`).execute(db);
  await sql.raw(`alter table fullstory_events attach partition fullstory_events_legacy for values from (minvalue) to ('${cutover}')`).execute(db);
  await sql.raw(`alter table fullstory_events_legacy drop constraint ${LEGACY_BOUND}`).execute(db);
  await sql`insert into sync_partitions (partition_name, parent_table, range_end) values ('fullstory_events_legacy', 'fullstory_events', ${cutover})`.execute(db);
}

async function createIndexes(db: Db): Promise<void> {
  await sql`alter table fullstory_events add constraint fullstory_events_pkey primary key (org_id, stream, event_start, row_sha256, occurrence)`.execute(db);
  await sql`create index fullstory_events_session on fullstory_events (org_id, stream, user_id, session_id)`.execute(db);
  await sql`create index fullstory_events_left on fullstory_events (org_id, stream, event_start) where occurrence < 0`.execute(db);
}

/** Whoever could use the old table (the MCP reader role, an analyst's role) can use the new one. */
export async function copyGrants(db: Db, from: string, to: string): Promise<void> {
  await sql
    .raw(
      `do $$ declare g record; begin
        for g in select grantee, privilege_type from information_schema.role_table_grants
          where table_schema = current_schema() and table_name = '${from}' and grantee <> current_user loop
          execute format('grant %s on ${to} to %s', g.privilege_type, case when g.grantee = 'PUBLIC' then 'public' else quote_ident(g.grantee) end);
        end loop;
      end $$`,
    )
    .execute(db);
}

/** Back to one plain table, rows copied: for development, not for a live copy. */
export async function down(db: Db): Promise<void> {
  await sql`create table fullstory_events_plain (like fullstory_events including defaults including storage)`.execute(db);
  await sql`insert into fullstory_events_plain select * from fullstory_events`.execute(db);
  await copyGrants(db, 'fullstory_events', 'fullstory_events_plain');
  await sql`drop table fullstory_events cascade`.execute(db);
  await sql`alter table fullstory_events_plain rename to fullstory_events`.execute(db);
  await sql`alter table fullstory_events add constraint fullstory_events_pkey primary key (org_id, stream, event_start, row_sha256, occurrence)`.execute(db);
  await sql`create index fullstory_events_session on fullstory_events (org_id, stream, user_id, session_id)`.execute(db);
  await sql`create index fullstory_events_left on fullstory_events (org_id, stream, event_start) where occurrence < 0`.execute(db);
  await db.schema.dropTable('sync_partitions').execute();
}
