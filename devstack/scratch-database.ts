import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { connectDatabase } from '../db/connect.js';
import type { Database } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { createLogger } from '../logging/logger.js';

export interface ScratchDatabase {
  url: string;
  db: Kysely<Database>;
  drop(): Promise<void>;
}

const quiet = createLogger({ level: 'silent', pretty: false });

/**
 * Creates a throw-away database on the server of `adminUrl` (one per test
 * file or benchmark scenario) and applies the real migrations unless told not to.
 */
export async function createScratchDatabase(adminUrl: string, options: { migrate?: boolean; prefix?: string } = {}): Promise<ScratchDatabase> {
  const name = `${options.prefix ?? 'session_sync_test'}_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (admin) => admin.query(`create database ${name}`));
  const url = withDatabase(adminUrl, name);
  const db = connectDatabase({ url });
  if (options.migrate ?? true) await migrateToLatest(db, quiet);
  return {
    url,
    db,
    drop: async () => {
      await db.destroy();
      await withAdmin(adminUrl, (admin) => admin.query(`drop database if exists ${name} with (force)`));
    },
  };
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function withAdmin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
