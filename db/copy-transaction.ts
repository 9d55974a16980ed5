import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { poolOf } from './connect.js';
import type { Database } from './database.js';

/**
 * Streams lines of COPY text into a table, in the transaction it was handed
 * with, with backpressure: memory holds a chunk, not the source. An error of
 * the source aborts the COPY (and so the transaction) and is the one thrown.
 *
 * @example await copyIn('copy staging (raw) from stdin', lines)
 */
export type CopyIn = (statement: string, lines: AsyncIterable<string> | Iterable<string>) => Promise<void>;

/**
 * Runs `work` in one transaction that offers both Kysely (`trx`) and COPY
 * (`copyIn`) on the same connection: Kysely has no COPY, and a COPY on
 * another connection would not be part of the transaction.
 */
export async function transactionWithCopy<T>(db: Kysely<Database>, work: (trx: Transaction<Database>, copyIn: CopyIn) => Promise<T>): Promise<T> {
  const client = await poolOf(db).connect();
  try {
    // A handle over this one connection; releasing it is ours to do, below.
    const pinned = { connect: async () => ({ query: client.query.bind(client), release: () => {} }), end: async () => {} };
    const single = new Kysely<Database>({ dialect: new PostgresDialect({ pool: pinned }) });
    const copyIn: CopyIn = (statement, lines) => pipeline(Readable.from(lines), client.query(copyFrom(statement)));
    return await single.transaction().execute((trx) => work(trx, copyIn));
  } finally {
    // pg's pool drops a client whose connection broke.
    client.release();
  }
}
