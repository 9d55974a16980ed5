import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';

/** The role migrations/20261203010000_mcp_keys_and_reader.ts creates: SELECT on the synced tables, nothing else. */
export const MCP_READER_ROLE = 'session_sync_mcp_reader';

/** A tool's query may run this long before Postgres cancels it. */
export const STATEMENT_TIMEOUT_MS = 5_000;

/**
 * Runs `read` in a READ ONLY transaction as the reader role, with a
 * statement timeout: whatever a tool's arguments were, its queries can
 * neither write nor read beyond the synced tables nor run for long. The
 * tools bind every value (no raw SQL reaches Postgres), so this is the
 * second wall, not the first.
 */
export async function readOnly<T>(db: Kysely<Database>, read: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`set transaction read only`.execute(trx);
    await sql`set local role ${sql.id(MCP_READER_ROLE)}`.execute(trx).catch((error: { code?: string; message?: string }) => {
      // 42704: no such role; 42501: not a member of it.
      if (error.code === '42704' || error.code === '42501') throw new Error(`the MCP reader role ${MCP_READER_ROLE} is missing or not granted to this database user (${error.message}); run \`session-sync migrate\` as a role that may create roles, or create it with the grants in docs/mcp.md`);
      throw error;
    });
    await sql`set local statement_timeout = ${sql.lit(STATEMENT_TIMEOUT_MS)}`.execute(trx);
    return read(trx);
  });
}
