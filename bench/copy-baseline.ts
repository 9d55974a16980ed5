import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

/**
 * Rows per second of `COPY … FROM STDIN` of a table's rows into a table like
 * it (same indexes), on the same Postgres: the yardstick a load is held to.
 *
 * @example await copyRowsPerSecond(database.url, 'fullstory_events')
 */
export async function copyRowsPerSecond(url: string, table: 'fullsession_sessions' | 'fullstory_events'): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'session-sync-copy-'));
  const file = join(dir, `${table}.copy`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // A SELECT: COPY TO reads no partitioned table by name.
    await pipeline(client.query(copyTo(`COPY (SELECT * FROM ${table}) TO STDOUT`)), createWriteStream(file));
    await client.query(`CREATE TABLE bench_copy (LIKE ${table} INCLUDING ALL)`);
    const started = performance.now();
    await pipeline(createReadStream(file), client.query(copyFrom('COPY bench_copy FROM STDIN')));
    const seconds = (performance.now() - started) / 1000;
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM bench_copy');
    await client.query('DROP TABLE bench_copy');
    return Number(rows[0]!.n) / seconds;
  } finally {
    await client.end();
    rmSync(dir, { recursive: true, force: true });
  }
}
