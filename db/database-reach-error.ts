import { describeDatabaseUrl } from './database-url.js';
import { databaseTlsError } from './database-tls-error.js';

/** SQLSTATEs and socket codes that mean "cannot get to the database", not "the query failed". */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET', '28P01', '28000', '3D000', '57P03']);

/**
 * An operator's reading of a failure to reach Postgres, naming the variable
 * and where it points; null when the error is about something else.
 *
 * @example databaseReachError('postgres://u:pw@db:5432/x', econnrefused) // 'cannot reach Postgres at db:5432/x (DATABASE_URL); …'
 */
export function databaseReachError(url: string, error: unknown): Error | null {
  const code = (error as { code?: string }).code ?? (error as { errors?: Array<{ code?: string }> }).errors?.[0]?.code;
  const tls = databaseTlsError(url, code, error instanceof Error ? error.message : String(error));
  if (tls) return new Error(tls);
  if (code === undefined || !UNREACHABLE.has(code)) return null;
  const why = { '28P01': 'the password was refused', '28000': 'the user may not connect', '3D000': 'that database does not exist', '57P03': 'Postgres is starting up or shutting down' }[code] ?? code;
  return new Error(`cannot reach Postgres at ${describeDatabaseUrl(url)} (DATABASE_URL): ${why}; is the address right and the server up?`);
}
