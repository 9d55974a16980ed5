import { describeDatabaseUrl } from './database-url.js';

/** OpenSSL's codes, as Node reports them, for a chain signed by no CA this client trusts. */
const UNTRUSTED = new Set(['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_UNTRUSTED']);

/**
 * One line for a TLS failure between the client and Postgres, naming the
 * DATABASE_URL parameter to change; null when the failure is not about TLS.
 */
export function databaseTlsError(url: string, code: string | undefined, message: string): string | null {
  const at = `Postgres at ${describeDatabaseUrl(url)} (DATABASE_URL)`;
  const parameters = URL.canParse(url) ? new URL(url).searchParams : new URLSearchParams();
  const sslmode = parameters.get('sslmode');
  const reason = message.split('\n')[0]!.trim();
  if (code !== undefined && UNTRUSTED.has(code)) {
    return parameters.get('sslrootcert')
      ? `${at} presented a certificate not signed by the CA in sslrootcert (${reason}): point sslrootcert at your provider's CA bundle`
      : `${at} presented a certificate this machine does not trust (${reason}): add sslrootcert=<the CA file> to DATABASE_URL (your provider publishes its CA bundle), or use sslmode=require to encrypt without verifying`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const names = /cert's altnames: (.*)$/.exec(reason)?.[1];
    return `${at} presented a certificate for other names${names ? ` (${names})` : ''}: connect by a name it holds, or use sslmode=verify-ca to check the CA alone`;
  }
  if (code === 'CERT_HAS_EXPIRED') return `${at} presented an expired certificate (${reason})`;
  if (message === 'The server does not support SSL connections') {
    return `${at} does not offer TLS, but DATABASE_URL has sslmode=${sslmode ?? 'require'}: turn ssl on in the server, or use sslmode=prefer`;
  }
  if (code === '28000' && message.includes('no encryption')) {
    return `${at} refuses connections without TLS (${reason}): add sslmode=require to DATABASE_URL (or verify-full with sslrootcert to verify the server)`;
  }
  return null;
}
