import type { Client } from '@temporalio/client';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.js';

/** Every row of every table, as text, for secret scans. */
export async function databaseText(db: Kysely<Database>): Promise<string> {
  const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public'`.execute(db);
  const parts: string[] = [];
  for (const { table_name } of tables.rows) {
    const rows = await sql<{ row: string }>`select t::text as row from ${sql.table(table_name)} t`.execute(db);
    parts.push(...rows.rows.map((r) => r.row));
  }
  return parts.join('\n');
}

/** The full history of every workflow a deployment ran on its task queue, and how many there were. */
export async function historiesText(client: Client, taskQueue: string): Promise<{ text: string; count: number }> {
  const parts: string[] = [];
  for await (const execution of client.workflow.list({ query: `TaskQueue = "${taskQueue}"` })) {
    const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    parts.push(JSON.stringify(history));
  }
  return { text: parts.join('\n'), count: parts.length };
}
