import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/database.js';
import type { ErasureKey } from './erasure-key.js';
import { addIdentities, identityCount, noIdentities, type IdentityKind, type Identities } from './identity.js';
import type { PersonErasure, PersonTable } from './person-table.js';
import { erasureLockKeys } from './suppression-list.js';

/** Rounds of following identities to others before giving up: a person has a handful; a chain longer than this is a data problem to look at. */
const MAX_ROUNDS = 20;

export interface ForgetRequest {
  customerId: string;
  source: string;
  requestedBy: 'email' | 'user-id';
  value: string;
  dryRun: boolean;
}

export interface ForgetReport {
  /** The audit row's id; null for a dry run. */
  erasureId: string | null;
  /** Identities found: the one given and those it led to. */
  identities: number;
  /** Rows deleted (or, dry, that would be), by table, every table listed; `mcp_audit`: MCP calls whose arguments were redacted (absent in a dry run). */
  rows: Record<string, number>;
}

/**
 * Erases one person from an account's copy, and keeps them out of it.
 *
 * 1. Follows the identity given to every other the person's rows carry
 *    (an email to FullStory's user ids, those to individual ids, …) until
 *    no new one turns up.
 * 2. Puts them all on the suppression list, as keyed hashes, under the
 *    account's erasure lock taken exclusively: loads in flight commit
 *    first, later ones drop the person's rows (suppression-list.ts).
 * 3. Deletes the rows of every table, a transaction a table (a partition
 *    a transaction where partitioned). Rows that turn up with identities
 *    not seen before are followed too: those go on the list and the
 *    tables are gone over again.
 *
 * 4. Redacts the arguments of MCP calls that named one of the identities.
 *
 * The audit row (erasures) records the account, the kind of identity and
 * the rows each table lost, never who. Run again after a stop, it picks up
 * where the last run left off: everything is idempotent.
 */
export async function forgetPerson(db: Kysely<Database>, key: ErasureKey, erasure: PersonErasure, request: ForgetRequest): Promise<ForgetReport> {
  const identities = noIdentities();
  addIdentities(identities, erasure.seed(request.requestedBy, request.value));
  await followIdentities(db, erasure.tables, request.customerId, identities);
  const rows = Object.fromEntries(erasure.tables.map((table) => [table.table, 0]));
  if (request.dryRun) {
    for (const table of erasure.tables) rows[table.table] = await countRows(db, table, request.customerId, identities);
    return { erasureId: null, identities: identityCount(identities), rows };
  }
  const erasureId = await startErasure(db, request, identityCount(identities));
  await suppress(db, key, request.customerId, erasureId, identities);
  for (let round = 0; ; round++) {
    const found = noIdentities();
    for (const table of erasure.tables) rows[table.table]! += await deleteRows(db, table, request.customerId, identities, found);
    await recordProgress(db, erasureId, identityCount(identities), rows);
    const added = addIdentities(identities, entriesOf(found));
    if (added.length === 0) break;
    if (round >= MAX_ROUNDS) throw new Error(`erasure ${erasureId} of account ${request.customerId} still finds new identities after ${MAX_ROUNDS} rounds; the rows found so far are deleted and suppressed: run it again, or look for rows that link many people`);
    await suppress(db, key, request.customerId, erasureId, identities);
  }
  rows.mcp_audit = await redactMcpAudit(db, identities, erasureId);
  await finishErasure(db, erasureId, identityCount(identities), rows);
  return { erasureId, identities: identityCount(identities), rows };
}

/**
 * MCP calls whose arguments name one of the identities (a search for the
 * person's email or user id): the call stays in the audit, its arguments
 * are replaced by a note of the erasure. Returns how many.
 */
async function redactMcpAudit(db: Kysely<Database>, identities: Identities, erasureId: string): Promise<number> {
  const needles = entriesOf(identities).map(([, value]) => value.toLowerCase());
  const result = await db
    .updateTable('mcp_audit')
    .set({ arguments: JSON.stringify({ redacted: `erasure ${erasureId}` }) })
    .where(sql<boolean>`exists (select 1 from unnest(${needles}::text[]) n where strpos(lower(arguments::text), n) > 0)`)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Grows `identities` with every identity found on rows that carry one of them, until none is new. */
async function followIdentities(db: Kysely<Database>, tables: readonly PersonTable[], customerId: string, identities: Identities): Promise<void> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let added = 0;
    for (const table of tables) {
      for (const part of await partsOf(db, table, customerId)) {
        const { rows } = await sql<Record<string, string | null>>`select distinct ${identityColumns(table)} from ${sql.table(part.relation)} where ${matching(table, customerId, identities)} and ${part.where}`.execute(db);
        added += addIdentities(identities, identitiesOfRows(table, rows)).length;
      }
    }
    if (added === 0) return;
  }
}

async function countRows(db: Kysely<Database>, table: PersonTable, customerId: string, identities: Identities): Promise<number> {
  let count = 0;
  for (const part of await partsOf(db, table, customerId)) {
    const { rows } = await sql<{ n: string }>`select count(*) as n from ${sql.table(part.relation)} where ${matching(table, customerId, identities)} and ${part.where}`.execute(db);
    count += Number(rows[0]!.n);
  }
  return count;
}

function identitiesOfRows(table: PersonTable, rows: Array<Record<string, string | null>>): Array<[IdentityKind, string | null]> {
  return rows.flatMap((row) => table.identities.map(([kind], i): [IdentityKind, string | null] => [kind, row[`i${i}`] ?? null]));
}

/** Deletes the person's rows of one table, a partition a transaction where it is partitioned; the identities the rows carried go into `found`. */
async function deleteRows(db: Kysely<Database>, table: PersonTable, customerId: string, identities: Identities, found: Identities): Promise<number> {
  let deleted = 0;
  for (const part of await partsOf(db, table, customerId)) {
    const { rows } = await sql<Record<string, string | null>>`
      delete from ${sql.table(part.relation)} where ${matching(table, customerId, identities)} and ${part.where}
      returning ${identityColumns(table)}`.execute(db);
    addIdentities(found, identitiesOfRows(table, rows));
    deleted += rows.length;
  }
  return deleted;
}

/** One transaction's worth of a table: a relation and the condition that picks the account's rows of one partition in it. */
interface TablePart {
  relation: string;
  where: RawBuilder<unknown>;
}

/**
 * The parts of a table a person is erased from, one transaction each: each
 * attached partition of the account (picked through the parent by site and
 * time range, which Postgres prunes on), and each partition retention
 * detached but kept as a table of its own (sync.retentionDetachOnly), which
 * still holds the person. The whole table where it is not partitioned.
 */
async function partsOf(db: Kysely<Database>, table: PersonTable, customerId: string): Promise<TablePart[]> {
  const whole = { relation: table.table, where: sql`true` };
  if (!table.partitioned) return [whole];
  const { siteColumn, timeColumn } = table.partitioned;
  const partitions = await db
    .selectFrom('sync_partitions')
    .select(['partition_name', 'site_id', 'range_start', 'range_end', 'expired_at', 'retention_action', sql<string | null>`to_regclass(partition_name)::text`.as('kept')])
    .where('parent_table', '=', table.table)
    .where((eb) => eb.or([eb('customer_id', '=', customerId), eb('customer_id', 'is', null)]))
    .orderBy('range_end')
    .execute();
  const attached = partitions.filter((part) => part.expired_at === null);
  const detached = partitions.filter((part) => part.retention_action === 'detached' && part.kept !== null).map((part) => ({ relation: part.partition_name, where: sql`true` }));
  // A table partitioned before any partition was recorded holds its rows in the table alone.
  if (attached.length === 0) return [whole, ...detached];
  return [
    ...attached.map((part) => {
      const site = part.site_id === null ? sql`true` : sql`${sql.ref(siteColumn)} = ${part.site_id}`;
      const from = part.range_start === null ? sql`true` : sql`${sql.ref(timeColumn)} >= ${part.range_start}`;
      return { relation: table.table, where: sql`${site} and ${from} and ${sql.ref(timeColumn)} < ${part.range_end}` };
    }),
    ...detached,
  ];
}

/** The account's rows that carry any of the identities (none when there are none). */
function matching(table: PersonTable, customerId: string, identities: Identities): RawBuilder<unknown> {
  const tests = table.identities.filter(([kind]) => identities[kind].size > 0).map(([kind, expression]) => sql`${sql.raw(expression)} = any(${[...identities[kind]]}::text[])`);
  return sql`${sql.ref(table.accountColumn)} = ${customerId} and (${tests.length > 0 ? sql.join(tests, sql` or `) : sql`false`})`;
}

/** The row's identities as columns i0, i1, … in the order of table.identities. */
function identityColumns(table: PersonTable): RawBuilder<unknown> {
  return sql.join(table.identities.map(([, expression], i) => sql`${sql.raw(expression)} as ${sql.ref(`i${i}`)}`));
}

function entriesOf(identities: Identities): Array<[IdentityKind, string]> {
  return (Object.entries(identities) as Array<[IdentityKind, Set<string>]>).flatMap(([kind, values]) => [...values].map((value): [IdentityKind, string] => [kind, value]));
}

/** Adds the identities to the account's suppression list, once loads in flight have committed (the erasure lock, exclusive). */
async function suppress(db: Kysely<Database>, key: ErasureKey, customerId: string, erasureId: string, identities: Identities): Promise<void> {
  const hashes = entriesOf(identities).map(([kind, value]) => key.hash(kind, value));
  await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${erasureLockKeys(customerId)})`.execute(trx);
    await sql`
      insert into erasure_suppressions (customer_id, identity_hash, key_id, erasure_id)
      select ${customerId}, h, ${key.id}, ${erasureId} from unnest(${hashes}::text[]) as h
      on conflict do nothing`.execute(trx);
  });
}

async function startErasure(db: Kysely<Database>, request: ForgetRequest, identities: number): Promise<string> {
  const row = await db
    .insertInto('erasures')
    .values({ customer_id: request.customerId, source: request.source, requested_by: request.requestedBy, identities, rows_deleted: '{}' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function recordProgress(db: Kysely<Database>, erasureId: string, identities: number, rows: Record<string, number>): Promise<void> {
  await db.updateTable('erasures').set({ identities, rows_deleted: JSON.stringify(rows) }).where('id', '=', erasureId).execute();
}

async function finishErasure(db: Kysely<Database>, erasureId: string, identities: number, rows: Record<string, number>): Promise<void> {
  await db.updateTable('erasures').set({ identities, rows_deleted: JSON.stringify(rows), finished_at: sql`now()` }).where('id', '=', erasureId).execute();
}
