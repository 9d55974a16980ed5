import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './database.js';
import { poolSettings } from './database-url.js';

export interface ConnectOptions {
  url: string;
  maxConnections?: number;
  /** Postgres's statement_timeout for every query of the pool; none when absent. */
  statementTimeoutMs?: number;
}

/** The pg pool behind each handle, for work Kysely cannot express (COPY; see copy-transaction.ts). */
const pools = new WeakMap<Kysely<Database>, pg.Pool>();

/**
 * Opens a pooled Kysely handle, with libpq's meanings of DATABASE_URL's TLS
 * parameters (database-url.ts). Callers own it and must `destroy()` it.
 *
 * @example const db = connectDatabase({ url: config.database.url })
 */
export function connectDatabase(options: ConnectOptions): Kysely<Database> {
  const pool = new pg.Pool({
    ...poolSettings(options.url),
    max: options.maxConnections ?? 10,
    // Fail fast when Postgres is down so the activity's retry policy takes over.
    connectionTimeoutMillis: 10_000,
    ...(options.statementTimeoutMs === undefined ? {} : { statement_timeout: options.statementTimeoutMs }),
  });
  // A lost connection (Postgres restarted) must not crash the worker. pg
  // emits 'error' on the client: the pool listens only while a client is
  // idle, so a client checked out between two queries of a transaction needs
  // its own listener. The query fails instead, the activity is retried, and
  // the pool drops the broken client.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  pools.set(db, pool);
  return db;
}

/** The pool of a handle made by connectDatabase. */
export function poolOf(db: Kysely<Database>): pg.Pool {
  const pool = pools.get(db);
  if (!pool) throw new Error('poolOf: this Kysely handle was not made by connectDatabase');
  return pool;
}
