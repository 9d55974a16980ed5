import type { Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.
/** mcp_audit is pruned by age (MCP_AUDIT_RETENTION): the delete finds old rows by this index, not a scan. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('mcp_audit_at').on('mcp_audit').column('at').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('mcp_audit_at').execute();
}
