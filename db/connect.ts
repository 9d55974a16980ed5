import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './database.js';

export interface ConnectOptions {
  url: string;
  maxConnections?: number;
}

/**
 * Opens a pooled Kysely handle. Callers own it and must `destroy()` it.
 *
 * @example const db = connectDatabase({ url: config.database.url })
 */
export function connectDatabase(options: ConnectOptions): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    // Fail fast when Postgres is down so the activity's retry policy takes over.
    connectionTimeoutMillis: 10_000,
  });
  // An idle client's error (Postgres restarted) must not crash the worker;
  // the next query gets a fresh connection.
  pool.on('error', () => {});
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
