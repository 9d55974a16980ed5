import { sql, type Kysely } from 'kysely';
import type { Database, RetentionAction } from './database.js';
import { uncovered, type TimeRange } from './partition-spans.js';
import type { PartitionedTable, PartitionSite } from './site-partitions.js';

/** A site's retention: how long its rows are kept, and what happens to a partition past that. */
export interface SiteRetention {
  table: PartitionedTable;
  site: PartitionSite;
  retentionMs: number;
  action: RetentionAction;
}

/** A partition whose whole range lies before the horizon. */
export interface ExpiringPartition {
  name: string;
  range: TimeRange;
  /** Rows it holds now (counted when planned). */
  rows: number;
}

export interface RetentionPlan {
  /** Rows that started before this instant are past retention. */
  horizon: number;
  /** Partitions of the table to go, oldest first. */
  partitions: ExpiringPartition[];
  /**
   * Where an upgrade kept the table from before partitioning (every site's
   * rows up to its cutover) as one partition: the site's rows in it before
   * this instant are past the horizon, and stay, as retention cannot take
   * part of a partition. Null where there is no such partition.
   */
  keptBeforePartitioning: number | null;
  /**
   * Partitions of the table's derived table to go with them, oldest first
   * (see PartitionedTable.derived); empty where it has none.
   */
  derived: ExpiringPartition[];
}

/**
 * What retention would take of a site now: every partition of the site
 * whose whole range ended by the horizon (now - retention) and is not
 * expired yet, with its rows counted. Where rows are partitioned by start
 * but counted by end, by the horizon less the site's longest row: a row
 * that ended after the horizon is kept whenever it started.
 */
export async function planRetention(db: Kysely<Database>, retention: SiteRetention, now: number): Promise<RetentionPlan> {
  const horizon = now - retention.retentionMs;
  const startedBy = horizon - ((await retention.table.longestRowMs?.(db, retention.site)) ?? 0);
  const rows = await db
    .selectFrom('sync_partitions')
    .select(['partition_name', 'range_start', 'range_end'])
    .where('parent_table', '=', retention.table.name)
    .where('customer_id', '=', retention.site.customerId)
    .where('site_id', '=', retention.site.siteId)
    .where('expired_at', 'is', null)
    .where('range_end', '<=', new Date(startedBy))
    .orderBy('range_start')
    .execute();
  const partitions: ExpiringPartition[] = [];
  for (const row of rows) partitions.push({ name: row.partition_name, range: { start: row.range_start!.getTime(), end: row.range_end.getTime() }, rows: await countRows(db, row.partition_name) });
  const legacy = await db.selectFrom('sync_partitions').select('range_end').where('parent_table', '=', retention.table.name).where('customer_id', 'is', null).executeTakeFirst();
  const derived = await planDerived(db, retention, partitions);
  return { horizon, partitions, keptBeforePartitioning: legacy ? Math.min(legacy.range_end.getTime(), horizon) : null, derived };
}

/**
 * The partitions of the site's derived table whose rows could only have
 * been derived from rows retention took, or takes now (`taking`): each
 * range, reaching its derived table's reach forward, lies in expired
 * partitions of the table, or before its first. A range between them that
 * no partition was made for keeps it: a backfill may yet load rows there.
 */
async function planDerived(db: Kysely<Database>, retention: SiteRetention, taking: readonly ExpiringPartition[]): Promise<ExpiringPartition[]> {
  const derived = retention.table.derived;
  if (!derived) return [];
  const site = retention.site;
  const ofSite = (table: PartitionedTable) => db.selectFrom('sync_partitions').select(['partition_name', 'range_start', 'range_end', 'expired_at']).where('parent_table', '=', table.name).where('customer_id', '=', site.customerId).where('site_id', '=', site.siteId);
  const own = await ofSite(retention.table).execute();
  if (own.length === 0) return [];
  const first = Math.min(...own.map((row) => row.range_start!.getTime()));
  const expired = own.filter((row) => row.expired_at !== null).map((row) => ({ start: row.range_start!.getTime(), end: row.range_end.getTime() }));
  const gone = [{ start: Number.NEGATIVE_INFINITY, end: first }, ...expired, ...taking.map((partition) => partition.range)];
  const candidates = await ofSite(derived.table).where('expired_at', 'is', null).orderBy('range_start').execute();
  const partitions: ExpiringPartition[] = [];
  for (const row of candidates) {
    const range = { start: row.range_start!.getTime(), end: row.range_end.getTime() };
    if (uncovered({ start: range.start, end: range.end + derived.reachMs }, gone).length > 0) continue;
    partitions.push({ name: row.partition_name, range, rows: await countRows(db, row.partition_name) });
  }
  return partitions;
}

async function countRows(db: Kysely<Database>, partition: string): Promise<number> {
  const statement = await sql<{ statement: string }>`select format('select count(*) as n from %I', ${partition}::text) as statement`.execute(db);
  const counted = await sql.raw<{ n: string }>(statement.rows[0]!.statement).execute(db);
  return Number(counted.rows[0]!.n);
}

/**
 * Takes the planned partitions away, oldest first, then those of the
 * derived table, never with a DELETE of their rows. Each is first
 * recorded as expired: from then on coverage shows its range as expired
 * and no load writes into it. Then it is detached CONCURRENTLY,
 * which locks the table only against other schema changes (and is why the
 * tables have no DEFAULT partition), and dropped unless the site keeps
 * detached partitions. One worker at a time (an advisory lock); a run cut
 * short is finished by the next, which also completes any partition left
 * recorded but still attached, or detached but not dropped.
 * Returns the partitions taken (the derived table's last), or null when another worker holds the lock.
 */
export async function applyRetention(db: Kysely<Database>, retention: SiteRetention, plan: RetentionPlan): Promise<ExpiringPartition[] | null> {
  return db.connection().execute(async (connection) => {
    const locked = await sql<{ locked: boolean }>`select pg_try_advisory_lock(hashtext('session-sync retention'), hashtext(${retention.table.name})) as locked`.execute(connection);
    if (!locked.rows[0]!.locked) return null;
    try {
      for (const partition of [...plan.partitions, ...plan.derived]) await recordExpired(connection, retention, partition);
      for (const table of [retention.table, ...(retention.table.derived ? [retention.table.derived.table] : [])]) {
        for (const name of await unfinished(connection, table, retention.site)) await takeAway(connection, name);
      }
      return [...plan.partitions, ...plan.derived];
    } finally {
      await sql`select pg_advisory_unlock(hashtext('session-sync retention'), hashtext(${retention.table.name}))`.execute(connection);
    }
  });
}

async function recordExpired(db: Kysely<Database>, retention: SiteRetention, partition: ExpiringPartition): Promise<void> {
  await db.updateTable('sync_partitions').set({ expired_at: sql<Date>`now()`, retention_action: retention.action }).where('partition_name', '=', partition.name).where('expired_at', 'is', null).execute();
}

/** The site's expired partitions whose table is still attached, or still there though it was to be dropped. */
async function unfinished(db: Kysely<Database>, table: PartitionedTable, site: PartitionSite): Promise<string[]> {
  const rows = await sql<{ name: string }>`
    select p.partition_name as name from sync_partitions p
    where p.parent_table = ${table.name} and p.customer_id = ${site.customerId} and p.site_id = ${site.siteId}
      and p.expired_at is not null and to_regclass(quote_ident(p.partition_name)) is not null
      and (p.retention_action = 'dropped' or exists (select from pg_inherits i where i.inhrelid = to_regclass(quote_ident(p.partition_name))))
    order by p.range_start`.execute(db);
  return rows.rows.map((row) => row.name);
}

/** Detaches the partition (finishing a detach cut short), then drops it if it is to be dropped. */
async function takeAway(db: Kysely<Database>, name: string): Promise<void> {
  const attached = await sql<{ parent: string; pending: boolean; action: RetentionAction }>`
    select i.inhparent::regclass::text as parent, i.inhdetachpending as pending, p.retention_action as action
    from sync_partitions p left join pg_inherits i on i.inhrelid = to_regclass(quote_ident(p.partition_name))
    where p.partition_name = ${name}`.execute(db);
  const { parent, pending, action } = attached.rows[0]!;
  if (parent) {
    const statement = await sql<{ statement: string }>`select format('alter table %s detach partition %I ${sql.raw(pending ? 'finalize' : 'concurrently')}', ${parent}::text, ${name}::text) as statement`.execute(db);
    await sql.raw(statement.rows[0]!.statement).execute(db);
  }
  if (action === 'dropped') {
    const statement = await sql<{ statement: string }>`select format('drop table if exists %I', ${name}::text) as statement`.execute(db);
    await sql.raw(statement.rows[0]!.statement).execute(db);
  }
}

/**
 * The ranges of a site that retention took away, by the time coverage
 * counts rows at: coverage shows them as expired. Where rows are
 * partitioned by start but counted by end, a range reaches the site's
 * longest row past its partitions: rows that ended then may have started
 * in them.
 */
export async function expiredRanges(db: Kysely<Database>, table: PartitionedTable, site: PartitionSite): Promise<TimeRange[]> {
  const reach = (await table.longestRowMs?.(db, site)) ?? 0;
  const rows = await db
    .selectFrom('sync_partitions')
    .select(['range_start', 'range_end'])
    .where('parent_table', '=', table.name)
    .where('customer_id', '=', site.customerId)
    .where('site_id', '=', site.siteId)
    .where('expired_at', 'is not', null)
    .orderBy('range_start')
    .execute();
  return rows.map((row) => ({ start: row.range_start!.getTime(), end: row.range_end.getTime() + reach }));
}
