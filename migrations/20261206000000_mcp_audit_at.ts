import type { Kysely } from 'kysely';

/** mcp_audit is pruned by age (MCP_AUDIT_RETENTION): the delete finds old rows by this index, not a scan. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('mcp_audit_at').on('mcp_audit').column('at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('mcp_audit_at').execute();
}
