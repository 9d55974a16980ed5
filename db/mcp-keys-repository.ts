import { sql, type Kysely } from 'kysely';
import type { Database, McpKeyLevel } from './database.js';

export interface McpKeyRow {
  name: string;
  level: McpKeyLevel;
  suffix: string;
  description: string;
  createdAt: number;
  lastUsedAt: number | null;
}

const COLUMNS = ['name', 'level', 'suffix', 'description', 'created_at', 'last_used_at'] as const;

function toRow(row: { name: string; level: McpKeyLevel; suffix: string; description: string; created_at: Date; last_used_at: Date | null }): McpKeyRow {
  return { name: row.name, level: row.level, suffix: row.suffix, description: row.description, createdAt: row.created_at.getTime(), lastUsedAt: row.last_used_at?.getTime() ?? null };
}

/** Stores a new key's hash; false when the name is taken. */
export async function insertMcpKey(db: Kysely<Database>, key: { name: string; level: McpKeyLevel; suffix: string; hash: string; description: string }): Promise<boolean> {
  const inserted = await db
    .insertInto('mcp_api_keys')
    .values({ name: key.name, level: key.level, suffix: key.suffix, key_hash: key.hash, description: key.description })
    .onConflict((oc) => oc.column('name').doNothing())
    .executeTakeFirst();
  return inserted.numInsertedOrUpdatedRows === 1n;
}

export async function listMcpKeys(db: Kysely<Database>): Promise<McpKeyRow[]> {
  return (await db.selectFrom('mcp_api_keys').select(COLUMNS).orderBy('name').execute()).map(toRow);
}

/** The keys whose suffix is `suffix`, with their hashes, for the constant-time comparison. */
export async function mcpKeysWithSuffix(db: Kysely<Database>, suffix: string): Promise<Array<McpKeyRow & { hash: string }>> {
  const rows = await db.selectFrom('mcp_api_keys').select([...COLUMNS, 'key_hash']).where('suffix', '=', suffix).execute();
  return rows.map((row) => ({ ...toRow(row), hash: row.key_hash }));
}

export async function renameMcpKey(db: Kysely<Database>, name: string, newName: string): Promise<boolean> {
  const result = await db.updateTable('mcp_api_keys').set({ name: newName }).where('name', '=', name).executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export async function setMcpKeyLevel(db: Kysely<Database>, name: string, level: McpKeyLevel): Promise<boolean> {
  const result = await db.updateTable('mcp_api_keys').set({ level }).where('name', '=', name).executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export async function deleteMcpKey(db: Kysely<Database>, name: string): Promise<boolean> {
  const result = await db.deleteFrom('mcp_api_keys').where('name', '=', name).executeTakeFirst();
  return result.numDeletedRows === 1n;
}

/** Marks a key used now; at most once a minute, so a busy client does not write a row a request. */
export async function touchMcpKey(db: Kysely<Database>, name: string): Promise<void> {
  await db
    .updateTable('mcp_api_keys')
    .set({ last_used_at: sql`now()` })
    .where('name', '=', name)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', sql<Date>`now() - interval '1 minute'`)]))
    .execute();
}

export interface McpAuditEntry {
  keyName: string;
  keySuffix: string;
  tool: string;
  arguments: unknown;
  rows: number | null;
  durationMs: number;
  error: string | null;
}

export async function recordMcpCall(db: Kysely<Database>, entry: McpAuditEntry): Promise<void> {
  await db
    .insertInto('mcp_audit')
    .values({ key_name: entry.keyName, key_suffix: entry.keySuffix, tool: entry.tool, arguments: JSON.stringify(entry.arguments), rows: entry.rows, duration_ms: Math.round(entry.durationMs), error: entry.error })
    .execute();
}

/** Deletes audit rows written before `before`; returns how many. */
export async function pruneMcpAudit(db: Kysely<Database>, before: Date): Promise<number> {
  const result = await db.deleteFrom('mcp_audit').where('at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
