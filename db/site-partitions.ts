import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';
import { SESSION_KEY_REACH_MS } from '../sources/fullstory/session-key.js';
import { spansCovering, uncovered, type PartitionSpan, type TimeRange } from './partition-spans.js';

/** A table partitioned by site and time: its key is (account, site or stream, time), as its migration made it. */
export interface PartitionedTable {
  name: 'fullstory_events' | 'fullsession_sessions' | 'fullstory_sessions';
  /**
   * A table derived from this one and partitioned like it, by site and a
   * key that lies at most `reachMs` before each row it is derived from
   * (FullStory's sessions, keyed by their start, from their events): its
   * partitions are made with this table's, reaching back as far, and
   * retention takes one of them once it has taken every partition of this
   * table whose rows it could be derived from.
   */
  derived?: { table: PartitionedTable; reachMs: number };
  /**
   * Set where rows are partitioned by when they started, while windows,
   * coverage and readers go by when they ended (FullSession's sessions):
   * the site's longest row stored, which bounds how long before its end a
   * row started.
   */
  longestRowMs?: (db: Kysely<Database>, site: PartitionSite) => Promise<number>;
}

export const FULLSTORY_SESSIONS_TABLE: PartitionedTable = { name: 'fullstory_sessions' };
export const FULLSTORY_EVENTS_TABLE: PartitionedTable = { name: 'fullstory_events', derived: { table: FULLSTORY_SESSIONS_TABLE, reachMs: SESSION_KEY_REACH_MS } };
export const FULLSESSION_SESSIONS_TABLE: PartitionedTable = { name: 'fullsession_sessions', longestRowMs: longestSessionMs };

async function longestSessionMs(db: Kysely<Database>, site: PartitionSite): Promise<number> {
  const row = await db.selectFrom('fullsession_longest_sessions').select('longest_ms').where('customer_id', '=', site.customerId).where('site_id', '=', site.siteId).executeTakeFirst();
  // No row: the site has no sessions stored.
  return row ? Number(row.longest_ms) : 0;
}

/** A site in the copy: its account (FullSession customer, FullStory org) and its site or stream. */
export interface PartitionSite {
  customerId: string;
  siteId: string;
}

/** A partition that holds a range of a site's rows (or of every site's: the table as it was before partitioning). */
export interface PartitionRow {
  name: string;
  range: TimeRange;
  /** Retention took its rows: its range stays taken (no partition is made there again), and nothing loads into it. */
  expired: boolean;
}

/** Waiting longer for ATTACH's lock would hold up the loads that wait for the partition. */
const LOCK_TIMEOUT = '5s';

/**
 * Creates the partitions a site's rows need, before any load writes them
 * (never inside a load: two loads of a site would race to create the same
 * one). Each is created as a table of its own, then attached: ATTACH
 * locks the parent only against other schema changes, where CREATE TABLE
 * … PARTITION OF would stop every read and write of it for a moment.
 * Creations of a table are serialised by an advisory lock, and every
 * partition is recorded in sync_partitions in the same transaction.
 * Remembers what it made sure of, so a load asks Postgres once.
 */
export class SitePartitions {
  private readonly ensured = new Set<string>();
  private readonly siteParents = new Map<string, string>();

  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Makes sure partitions of `span` (aligned) cover [range.start, range.end)
   * of the site, and those of its derived table the same range reaching
   * back; returns the names of those it created.
   *
   * @example await partitions.ensure(FULLSTORY_EVENTS_TABLE, { customerId: 'o-1', siteId: 'events' }, '1d', window)
   */
  async ensure(table: PartitionedTable, site: PartitionSite, span: PartitionSpan, range: TimeRange): Promise<string[]> {
    const created = await this.ensureOf(table, site, span, range);
    if (!table.derived) return created;
    const { table: derived, reachMs } = table.derived;
    return [...created, ...(await this.ensureOf(derived, site, span, { start: range.start - reachMs, end: range.end }))];
  }

  private async ensureOf(table: PartitionedTable, site: PartitionSite, span: PartitionSpan, range: TimeRange): Promise<string[]> {
    const wanted = spansCovering(range, span).filter((part) => !this.ensured.has(ensuredKey(table, site, part)));
    if (wanted.length === 0) return [];
    const parent = await this.siteParent(table);
    const created = await this.db.transaction().execute(async (trx) => {
      await sql.raw(`set local lock_timeout = '${LOCK_TIMEOUT}'`).execute(trx);
      await sql`select pg_advisory_xact_lock(hashtext('session-sync partitions'), hashtext(${table.name}))`.execute(trx);
      const existing = (await partitionsOverlapping(trx, table, site, { start: wanted[0]!.start, end: wanted.at(-1)!.end })).map((row) => row.range);
      const names: string[] = [];
      for (const part of wanted) {
        for (const gap of uncovered(part, existing)) {
          names.push(await attachPartition(trx, table, parent, site, gap));
          existing.push(gap);
        }
      }
      return names;
    });
    for (const part of wanted) this.ensured.add(ensuredKey(table, site, part));
    return created;
  }

  /** The partition that alone holds [range.start, range.end) of the site, if one does: a load can COPY straight into it. */
  async holding(table: PartitionedTable, site: PartitionSite, range: TimeRange): Promise<string | undefined> {
    const rows = await partitionsOverlapping(this.db, table, site, range);
    return rows.find((row) => !row.expired && row.range.start <= range.start && row.range.end >= range.end)?.name;
  }

  /**
   * The partitioned table that holds the per-site partitions: the table
   * itself, or, in a database partitioned by an upgrade that kept the old
   * table as a partition, its partition `<table>_by_site`.
   */
  private async siteParent(table: PartitionedTable): Promise<string> {
    const known = this.siteParents.get(table.name);
    if (known) return known;
    const found = await sql<{ relname: string }>`
      select c.relname from pg_partition_tree(${table.name}::regclass) t
      join pg_partitioned_table p on p.partrelid = t.relid join pg_class c on c.oid = t.relid
      where p.partnatts = 3`.execute(this.db);
    const parent = found.rows[0]?.relname;
    if (!parent) throw new Error(`${table.name} is not partitioned by site and time: run \`session-sync migrate\``);
    this.siteParents.set(table.name, parent);
    return parent;
  }
}

function ensuredKey(table: PartitionedTable, site: PartitionSite, range: TimeRange): string {
  return `${table.name}\u0000${site.customerId}\u0000${site.siteId}\u0000${range.start}`;
}

/** The recorded partitions of a table that hold rows of the site in the range: its own, and one that holds every site. */
async function partitionsOverlapping(db: Kysely<Database>, table: PartitionedTable, site: PartitionSite, range: TimeRange): Promise<PartitionRow[]> {
  const rows = await db
    .selectFrom('sync_partitions')
    .select(['partition_name', 'range_start', 'range_end', 'expired_at'])
    .where('parent_table', '=', table.name)
    .where((eb) => eb.or([eb.and([eb('customer_id', '=', site.customerId), eb('site_id', '=', site.siteId)]), eb('customer_id', 'is', null)]))
    .where('range_end', '>', new Date(range.start))
    .where((eb) => eb.or([eb('range_start', 'is', null), eb('range_start', '<', new Date(range.end))]))
    .execute();
  return rows.map((row) => ({ name: row.partition_name, range: { start: row.range_start?.getTime() ?? Number.NEGATIVE_INFINITY, end: row.range_end.getTime() }, expired: row.expired_at !== null }));
}

/**
 * `<table>_<10 hex of the site>_<yyyymmdd>`: within Postgres's 63
 * characters whatever the ids, one per site and first day.
 */
export function partitionName(table: PartitionedTable, site: PartitionSite, start: number): string {
  const siteHash = createHash('sha256').update(`${site.customerId}\u0000${site.siteId}`).digest('hex').slice(0, 10);
  return `${table.name}_${siteHash}_${new Date(start).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

async function attachPartition(db: Kysely<Database>, table: PartitionedTable, parent: string, site: PartitionSite, range: TimeRange): Promise<string> {
  const name = partitionName(table, site, range.start);
  const [from, to] = [new Date(range.start).toISOString(), new Date(range.end).toISOString()];
  // DDL takes no parameters: Postgres quotes the names and values itself.
  const statements = await sql<{ create: string; attach: string }>`
    select format('create table %I (like %I including defaults including storage)', ${name}::text, ${parent}::text) as create,
      format('alter table %I attach partition %I for values from (%L, %L, %L) to (%L, %L, %L)', ${parent}::text, ${name}::text,
        ${site.customerId}::text, ${site.siteId}::text, ${from}::text, ${site.customerId}::text, ${site.siteId}::text, ${to}::text) as attach`.execute(db);
  const { create, attach } = statements.rows[0]!;
  await sql.raw(create).execute(db);
  await sql.raw(attach).execute(db);
  await db
    .insertInto('sync_partitions')
    .values({ partition_name: name, parent_table: table.name, customer_id: site.customerId, site_id: site.siteId, range_start: new Date(range.start), range_end: new Date(range.end) })
    .execute();
  return name;
}
