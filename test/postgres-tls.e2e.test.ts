import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RestartablePostgres } from '../devstack/embedded-postgres.js';
import { startEmbeddedPostgresProcess } from '../devstack/embedded-postgres-process.js';
import { runCli, spawnWorker, type WorkerProcess } from '../devstack/session-sync-process.js';
import type { FullSessionSandbox } from '../devstack/sandboxes/fullsession/sandbox-server.js';
import { storedAndTruth } from './support/compare-with-truth.js';
import { DAY, DAY0, newToken, startTestSandbox } from './support/sandbox-fixtures.js';
import { startSyncHarness, type SyncHarness } from './support/sync-harness.js';
import { makeTestCertificates, type TestCertificates } from './support/test-certificates.js';

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * A Postgres that accepts TCP over TLS alone, with a certificate from a
 * throw-away CA, as managed services are set up: DATABASE_URL's sslmode,
 * sslrootcert, sslcert and sslkey mean what they mean for psql, no driver
 * warning is printed, and each refusal is one line naming what to change.
 */
describe('Postgres over TLS, with libpq meanings', () => {
  let certs: TestCertificates;
  let postgres: RestartablePostgres;
  let url: (parameters: string) => string;

  beforeAll(async () => {
    certs = makeTestCertificates();
    postgres = await startEmbeddedPostgresProcess({ tlsOnly: { certPath: certs.server.certPath, keyPath: certs.server.keyPath } });
    url = (parameters) => `${postgres.url}${parameters ? `?${parameters}` : ''}`;
  });

  afterAll(async () => {
    await postgres?.stop();
  });

  /** `migrate` opens Postgres and nothing else. */
  const migrate = (databaseUrl: string) => runCli(['migrate'], { DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' });

  it('sslmode=require encrypts without verifying, verify-full verifies against sslrootcert, prefer takes TLS where offered: no warning printed', async () => {
    for (const parameters of ['sslmode=require', `sslmode=verify-full&sslrootcert=${certs.caPath}`, `sslmode=verify-ca&sslrootcert=${certs.caPath}`, 'sslmode=prefer']) {
      const result = await migrate(url(parameters));
      expect({ parameters, code: result.code, stderr: result.stderr }).toEqual({ parameters, code: 0, stderr: '' });
    }
  });

  it('sslmode=prefer falls back to plaintext where the server offers no TLS, as libpq does', async () => {
    // The suite's Postgres (embedded, or the machine's) may or may not offer TLS; prefer works either way.
    for (const mode of ['disable', 'prefer']) {
      const plain = new URL(inject('adminDatabaseUrl'));
      plain.searchParams.set('sslmode', mode);
      const result = await migrate(plain.toString());
      expect({ mode, code: result.code, stderr: result.stderr }).toEqual({ mode, code: 0, stderr: '' });
    }
  });

  it('names sslrootcert when the server certificate is not trusted, and says when the server refuses plaintext', async () => {
    const where = `Postgres at 127.0.0.1:${new URL(postgres.url).port}/postgres (DATABASE_URL)`;
    expect((await migrate(url('sslmode=verify-full'))).stderr).toBe(
      `session-sync: ${where} presented a certificate this machine does not trust (unable to verify the first certificate): add sslrootcert=<the CA file> to DATABASE_URL (your provider publishes its CA bundle), or use sslmode=require to encrypt without verifying\n`,
    );
    expect((await migrate(url(`sslmode=verify-full&sslrootcert=${certs.strangerCaPath}`))).stderr).toBe(
      `session-sync: ${where} presented a certificate not signed by the CA in sslrootcert (unable to verify the first certificate): point sslrootcert at your provider's CA bundle\n`,
    );
    const plaintext = await migrate(url(''));
    expect(plaintext.code).toBe(1);
    expect(plaintext.stderr).toMatch(new RegExp(`^session-sync: ${where.replace(/[().]/g, '\\$&')} refuses connections without TLS \\(no pg_hba.conf entry for host "127.0.0.1", user "postgres", database "postgres", no encryption\\): add sslmode=require to DATABASE_URL \\(or verify-full with sslrootcert to verify the server\\)\\n$`));
  });

  it('a DATABASE_URL whose TLS settings cannot work is a configuration problem at start-up, exit 2', async () => {
    const missing = await migrate(url('sslmode=verify-full&sslrootcert=/nonexistent/ca.pem'));
    expect([missing.code, missing.stderr]).toEqual([2, "session-sync: invalid configuration:\n  - DATABASE_URL's sslrootcert names /nonexistent/ca.pem, which cannot be read (ENOENT)\n"]);
    const verifyCa = await migrate(url('sslmode=verify-ca'));
    expect([verifyCa.code, verifyCa.stderr]).toEqual([2, 'session-sync: invalid configuration:\n  - DATABASE_URL has sslmode=verify-ca but no sslrootcert: add sslrootcert=<the CA file> (your provider publishes its CA bundle)\n']);
    const unknown = await migrate(url('sslmode=on'));
    expect([unknown.code, unknown.stderr]).toEqual([2, 'session-sync: invalid configuration:\n  - DATABASE_URL has sslmode=on; it must be one of disable, prefer, require, verify-ca, verify-full\n']);
  });

  describe('a worker and a backfill over TLS', () => {
    const token = newToken();
    let sandbox: FullSessionSandbox;
    let harness: SyncHarness;
    let worker: WorkerProcess | undefined;

    beforeAll(async () => {
      sandbox = await startTestSandbox(token);
      harness = await startSyncHarness(sandbox, token, { adminDatabaseUrl: url(`sslmode=verify-full&sslrootcert=${certs.caPath}`) });
    });

    afterAll(async () => {
      worker?.child.kill('SIGKILL');
      await harness?.close();
      await sandbox?.close();
    });

    it('syncs exactly with every pool on sslmode=verify-full', async () => {
      const env = harness.workerEnv();
      expect(new URL(env.DATABASE_URL!).searchParams.get('sslmode')).toBe('verify-full');
      worker = spawnWorker(env);
      const result = await runCli(['backfill', '--site', 'site-a', '--from', day(DAY0), '--to', day(DAY0 + DAY)], env);
      expect(result.code).toBe(0);
      const { stored, truth } = await storedAndTruth(harness.database.db, sandbox, DAY0, DAY0 + DAY);
      expect(Object.keys(truth).length).toBeGreaterThan(500);
      expect(stored).toEqual(truth);
      expect(worker.output()).not.toContain('SECURITY WARNING');
    });
  });
});
