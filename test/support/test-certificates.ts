import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './temp-dir.js';

/** A PEM pair on disk, with its contents for servers that take them in memory. */
export interface PemPair {
  certPath: string;
  keyPath: string;
  cert: Buffer;
  key: Buffer;
}

export interface TestCertificates {
  dir: string;
  /** The CA every trusted certificate here is signed by. */
  caPath: string;
  ca: Buffer;
  /** For `localhost` and 127.0.0.1, signed by the CA. */
  server: PemPair;
  /** A client certificate the CA signed: what an mTLS front accepts. */
  client: PemPair;
  /** A CA of its own and a client certificate it signed: a stranger to every front. */
  strangerCaPath: string;
  stranger: PemPair;
}

/**
 * Makes a throw-away CA and certificates with openssl, as the Temporal SDK's
 * own TLS tests do: nothing leaves the test's temporary folder.
 */
export function makeTestCertificates(): TestCertificates {
  const dir = tempDir('session-sync-certs-');
  const caPath = makeCa(dir, 'ca', 'session-sync test CA');
  const strangerCaPath = makeCa(dir, 'stranger-ca', 'a stranger CA');
  const server = signed(dir, 'server', 'localhost', 'ca', ['subjectAltName=DNS:localhost,IP:127.0.0.1', 'extendedKeyUsage=serverAuth']);
  const client = signed(dir, 'client', 'session-sync-worker', 'ca', ['extendedKeyUsage=clientAuth']);
  const stranger = signed(dir, 'stranger', 'session-sync-worker', 'stranger-ca', ['extendedKeyUsage=clientAuth']);
  return { dir, caPath, ca: readFileSync(caPath), server, client, strangerCaPath, stranger };
}

function makeCa(dir: string, name: string, subject: string): string {
  const certPath = join(dir, `${name}.crt`);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${subject}`, '-keyout', join(dir, `${name}.key`), '-out', certPath]);
  return certPath;
}

function signed(dir: string, name: string, commonName: string, ca: string, extensions: string[]): PemPair {
  const keyPath = join(dir, `${name}.key`);
  const certPath = join(dir, `${name}.crt`);
  const csrPath = join(dir, `${name}.csr`);
  const extPath = join(dir, `${name}.ext`);
  writeFileSync(extPath, `${extensions.join('\n')}\n`);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${commonName}`, '-keyout', keyPath, '-out', csrPath]);
  openssl(['x509', '-req', '-in', csrPath, '-CA', join(dir, `${ca}.crt`), '-CAkey', join(dir, `${ca}.key`), '-CAcreateserial', '-days', '2', '-extfile', extPath, '-out', certPath]);
  return { certPath, keyPath, cert: readFileSync(certPath), key: readFileSync(keyPath) };
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}
