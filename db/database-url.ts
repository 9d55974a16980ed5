import { accessSync, constants } from 'node:fs';
import { parse } from 'pg-connection-string';
import type pg from 'pg';
import { PreferTlsClient } from './prefer-tls-client.js';

const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'];
const FILE_PARAMETERS = ['sslrootcert', 'sslcert', 'sslkey'];

/** A DATABASE_URL whose TLS settings cannot work; the message names the parameter. */
export class DatabaseUrlError extends Error {
  override name = 'DatabaseUrlError';
}

/**
 * The pg settings for a DATABASE_URL, with libpq's meanings of `sslmode`,
 * `sslrootcert`, `sslcert` and `sslkey` (what psql, RDS, Cloud SQL and Azure
 * document): `require` encrypts without verifying (verifies the CA when
 * `sslrootcert` is given), `verify-ca` checks the chain, `verify-full` the
 * chain and the host, `prefer` uses TLS when the server offers it. pg 8
 * alone treats prefer, require and verify-ca as verify-full and prints a
 * SECURITY WARNING. Without sslmode, plaintext, as pg has always done here.
 *
 * @example poolSettings('postgres://u@db/x?sslmode=require') // { ..., ssl: { rejectUnauthorized: false } }
 */
export function poolSettings(url: string): pg.PoolConfig {
  const parameters = URL.canParse(url) ? new URL(url).searchParams : new URLSearchParams();
  const sslmode = parameters.get('sslmode');
  if (sslmode !== null && !SSL_MODES.includes(sslmode)) {
    throw new DatabaseUrlError(`DATABASE_URL has sslmode=${sslmode}; it must be one of ${SSL_MODES.join(', ')}`);
  }
  if (sslmode === 'verify-ca' && !parameters.get('sslrootcert')) {
    throw new DatabaseUrlError('DATABASE_URL has sslmode=verify-ca but no sslrootcert: add sslrootcert=<the CA file> (your provider publishes its CA bundle)');
  }
  for (const name of FILE_PARAMETERS) {
    const path = parameters.get(name);
    if (path === null) continue;
    try {
      readable(path);
    } catch (error) {
      throw new DatabaseUrlError(`DATABASE_URL's ${name} names ${path}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
  const { uselibpqcompat: _ignored, ...config } = parse(withoutParameter(url, 'uselibpqcompat'), { useLibpqCompat: true }) as pg.PoolConfig & { uselibpqcompat?: unknown };
  return sslmode === 'prefer' ? { ...config, Client: PreferTlsClient as unknown as NonNullable<pg.PoolConfig['Client']> } : config;
}

/** Where DATABASE_URL points, for a message: host, port and database, never the user's password. */
export function describeDatabaseUrl(url: string): string {
  if (!URL.canParse(url)) return 'an unparseable DATABASE_URL';
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname || ''}`;
}

function withoutParameter(url: string, name: string): string {
  if (!URL.canParse(url)) return url;
  const parsed = new URL(url);
  parsed.searchParams.delete(name);
  return parsed.toString();
}

/** pg-connection-string reads these files itself; this turns its bare ENOENT into a message naming the parameter. */
function readable(path: string): void {
  accessSync(path, constants.R_OK);
}
