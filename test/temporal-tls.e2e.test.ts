// long-running
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Long from 'long';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { runCli, spawnWorker, type WorkerProcess } from '../devstack/session-sync-process.js';
import type { FullSessionSandbox } from '../devstack/sandboxes/fullsession/sandbox-server.js';
import { storedAndTruth } from './support/compare-with-truth.js';
import { DAY, DAY0, newToken, startTestSandbox } from './support/sandbox-fixtures.js';
import { startSyncHarness, type SyncHarness } from './support/sync-harness.js';
import { tempDir } from './support/temp-dir.js';
import { makeTestCertificates, type TestCertificates } from './support/test-certificates.js';
import { startApiKeyFront, startMtlsFront, type ApiKeyFront, type TemporalFront } from './support/temporal-tls-fronts.js';

const API_KEY = `tk_${randomBytes(24).toString('hex')}`;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * Temporal with mTLS and Temporal with API keys over TLS (what Temporal
 * Cloud offers), each a TLS front before the dev server: real worker
 * processes and real CLI backfills reach them through Temporal's standard
 * settings, and every way of getting them wrong is one line naming the cause.
 */
describe('Temporal over TLS: mTLS and API keys', () => {
  const token = newToken();
  let certs: TestCertificates;
  let mtls: TemporalFront;
  let keyed: ApiKeyFront;
  let sandbox: FullSessionSandbox;
  let harness: SyncHarness;
  const workers: WorkerProcess[] = [];

  const mtlsEnv = (): Record<string, string> => ({
    TEMPORAL_ADDRESS: mtls.address,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caPath,
    TEMPORAL_TLS_CLIENT_CERT_PATH: certs.client.certPath,
    TEMPORAL_TLS_CLIENT_KEY_PATH: certs.client.keyPath,
  });
  const keyEnv = (): Record<string, string> => ({ TEMPORAL_ADDRESS: keyed.address, TEMPORAL_API_KEY: API_KEY, TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caPath });

  beforeAll(async () => {
    certs = makeTestCertificates();
    const target = inject('temporalAddress');
    mtls = await startMtlsFront(target, certs);
    keyed = await startApiKeyFront(target, certs, { apiKey: API_KEY });
    sandbox = await startTestSandbox(token);
    harness = await startSyncHarness(sandbox, token);
  });

  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await harness?.close();
    await sandbox?.close();
    await keyed?.close();
    await mtls?.close();
  });

  /** The harness's environment with `temporal` for Temporal's settings alone. */
  function envWith(temporal: Record<string, string>): Record<string, string> {
    const env = harness.workerEnv(temporal);
    if (!('TEMPORAL_ADDRESS' in temporal)) delete env.TEMPORAL_ADDRESS;
    return env;
  }

  /** A worker and a CLI backfill of one day, both through `temporal`; the copy must equal the sandbox's truth. */
  async function backfillThrough(temporal: Record<string, string>, from: number): Promise<string> {
    const env = envWith(temporal);
    const worker = spawnWorker(env);
    workers.push(worker);
    const result = await runCli(['backfill', '--site', 'site-a', '--from', day(from), '--to', day(from + DAY)], env);
    expect(result.stderr.split('\n').filter((line) => line.includes('"level":50'))).toEqual([]);
    expect(result.code).toBe(0);
    const { stored, truth } = await storedAndTruth(harness.database.db, sandbox, from, from + DAY);
    expect(Object.keys(truth).length).toBeGreaterThan(500);
    expect(stored).toEqual(truth);
    worker.child.kill('SIGTERM');
    await worker.exited;
    return worker.output() + result.stdout + result.stderr;
  }

  it('runs an exact backfill through a Temporal that requires mTLS, configured by TEMPORAL_* variables', async () => {
    await backfillThrough(mtlsEnv(), DAY0);
  });

  it('runs an exact backfill through a Temporal that requires an API key, configured by a temporal.toml profile, and never prints the key', async () => {
    const file = join(tempDir('session-sync-temporal-toml-'), 'temporal.toml');
    writeFileSync(file, `[profile.default]\naddress = "127.0.0.1:1"\n\n[profile.cloud]\naddress = "${keyed.address}"\napi_key = "${API_KEY}"\n\n[profile.cloud.tls]\nserver_ca_cert_path = "${certs.caPath}"\n`);
    const output = await backfillThrough({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud' }, DAY0 + DAY);
    expect(output).not.toContain(API_KEY);
    expect(keyed.calls.filter((path) => path.endsWith('/PollActivityTaskQueue')).length).toBeGreaterThan(0);
  });

  it('reaches the mTLS Temporal through a temporal.toml profile too, the variables winning over the file', async () => {
    const file = join(tempDir('session-sync-temporal-toml-'), 'temporal.toml');
    writeFileSync(file, `[profile.mtls]\naddress = "127.0.0.1:1"\n\n[profile.mtls.tls]\nclient_cert_path = "${certs.client.certPath}"\nclient_key_path = "${certs.client.keyPath}"\nserver_ca_cert_path = "${certs.caPath}"\n`);
    // The profile's address is wrong on purpose: TEMPORAL_ADDRESS overrides it, as in Temporal's CLI.
    const listed = await runCli(['schedule', 'list'], envWith({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'mtls', TEMPORAL_ADDRESS: mtls.address }));
    expect([listed.code, listed.stderr]).toEqual([0, '']);
  });

  /** `schedule list` asks Temporal and nothing else: its one line of failure is what an operator sees first. */
  async function refusal(temporal: Record<string, string>): Promise<string> {
    const result = await runCli(['schedule', 'list'], envWith(temporal));
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toContain(API_KEY);
    return result.stderr.trimEnd();
  }

  it('says in one line when the client certificate is a stranger to the server', async () => {
    expect(await refusal({ ...mtlsEnv(), TEMPORAL_TLS_CLIENT_CERT_PATH: certs.stranger.certPath, TEMPORAL_TLS_CLIENT_KEY_PATH: certs.stranger.keyPath })).toBe(
      `session-sync: Temporal at ${mtls.address} refused the client certificate from TEMPORAL_TLS_CLIENT_CERT_PATH (closed): it must be signed by a CA the server trusts for clients, and be unexpired`,
    );
    const { TEMPORAL_TLS_CLIENT_CERT_PATH: _cert, TEMPORAL_TLS_CLIENT_KEY_PATH: _key, ...noCertificate } = mtlsEnv();
    expect(await refusal(noCertificate)).toBe(
      `session-sync: Temporal at ${mtls.address} requires a client certificate (mTLS; ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED): set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH`,
    );
  });

  it('names TEMPORAL_TLS_SERVER_CA_CERT_PATH for a server certificate it cannot trust, and TEMPORAL_TLS_SERVER_NAME for a name the certificate lacks', async () => {
    const { TEMPORAL_TLS_SERVER_CA_CERT_PATH: _ca, ...noCa } = mtlsEnv();
    expect(await refusal(noCa)).toBe(
      `session-sync: Temporal at ${mtls.address} presented a certificate this machine does not trust (self-signed certificate in certificate chain): set TEMPORAL_TLS_SERVER_CA_CERT_PATH to the CA that signed it`,
    );
    expect(await refusal({ ...mtlsEnv(), TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.strangerCaPath })).toBe(
      `session-sync: Temporal at ${mtls.address} presented a certificate not signed by the CA in TEMPORAL_TLS_SERVER_CA_CERT_PATH (self-signed certificate in certificate chain)`,
    );
    expect(await refusal({ ...mtlsEnv(), TEMPORAL_TLS_SERVER_NAME: 'temporal.example.com' })).toBe(
      `session-sync: Temporal at ${mtls.address} presented a certificate for other names (DNS:localhost, IP Address:127.0.0.1): set TEMPORAL_TLS_SERVER_NAME to one of them, or connect by a name it holds`,
    );
  });

  it('names the API key refused by where it came from, never by its value', async () => {
    const wrong = `tk_${randomBytes(24).toString('hex')}`;
    expect(await refusal({ ...keyEnv(), TEMPORAL_API_KEY: wrong })).toBe(
      `session-sync: Temporal at ${keyed.address} refused the API key tk_****${wrong.slice(-3)} from TEMPORAL_API_KEY (16 UNAUTHENTICATED: Request unauthorized): check that the key is current and may use namespace default`,
    );
    const file = join(tempDir('session-sync-temporal-toml-'), 'temporal.toml');
    writeFileSync(file, `[profile.cloud]\naddress = "${keyed.address}"\napi_key = "${wrong}"\n[profile.cloud.tls]\nserver_ca_cert_path = "${certs.caPath}"\n`);
    expect(await refusal({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud' })).toBe(
      `session-sync: Temporal at ${keyed.address} refused the API key tk_****${wrong.slice(-3)} from api_key in profile "cloud" of ${file} (or TEMPORAL_API_KEY) (16 UNAUTHENTICATED: Request unauthorized): check that the key is current and may use namespace default`,
    );
  });

  it('says which side speaks TLS when the other does not, and names a namespace that does not exist', async () => {
    expect(await refusal({ TEMPORAL_ADDRESS: keyed.address })).toBe(
      `session-sync: Temporal at ${keyed.address} speaks TLS, but the settings connect in plaintext: set TEMPORAL_TLS=true, with TEMPORAL_API_KEY or a client certificate as the server requires`,
    );
    const plain = inject('temporalAddress');
    expect(await refusal({ TEMPORAL_ADDRESS: plain, TEMPORAL_API_KEY: API_KEY })).toBe(
      `session-sync: Temporal at ${plain} answered in plaintext, but the settings ask for TLS (an API key (TEMPORAL_API_KEY) turns TLS on unless TEMPORAL_TLS=false): set TEMPORAL_TLS=false for a server without TLS, or check TEMPORAL_ADDRESS`,
    );
    expect(await refusal({ ...keyEnv(), TEMPORAL_NAMESPACE: 'payments.a1b2c' })).toBe(
      `session-sync: namespace payments.a1b2c does not exist on Temporal at ${keyed.address} (TEMPORAL_NAMESPACE); a Temporal Cloud namespace is named <namespace>.<account>`,
    );
  });

  it('stops with one line listing the search attributes to add where Temporal refuses to register them (Temporal Cloud)', async () => {
    const namespace = `cloudlike-${randomBytes(3).toString('hex')}`;
    await harness.client.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: { seconds: Long.fromNumber(86_400) } });
    const cloud = await startApiKeyFront(inject('temporalAddress'), certs, { apiKey: API_KEY, refuseSearchAttributeRegistration: true });
    try {
      const env = harness.workerEnv({ TEMPORAL_ADDRESS: cloud.address, TEMPORAL_API_KEY: API_KEY, TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caPath, TEMPORAL_NAMESPACE: namespace });
      const result = await runCli(['schedule', 'apply'], env);
      expect(result.stderr.trimEnd()).toBe(
        `session-sync: namespace ${namespace} lacks session-sync's search attributes SessionSyncSource (Keyword), SessionSyncSite (Keyword), SessionSyncCustomer (Keyword), SessionSyncKind (Keyword), and Temporal refused to add them: on Temporal Cloud add them in the namespace's settings in its UI, with \`tcld namespace search-attributes add --namespace ${namespace} --search-attribute SessionSyncSource=Keyword --search-attribute SessionSyncSite=Keyword --search-attribute SessionSyncCustomer=Keyword --search-attribute SessionSyncKind=Keyword\`, or with the Cloud Ops API, then start again`,
      );
      expect(result.code).toBe(1);
      // Where they exist (the default namespace has them), nothing is asked to add them.
      const before = keyed.calls.length;
      expect((await runCli(['schedule', 'apply'], harness.workerEnv(keyEnv()))).code).toBe(0);
      expect(keyed.calls.slice(before).filter((path) => path.endsWith('/AddSearchAttributes'))).toEqual([]);
    } finally {
      await cloud.close();
    }
  });
});
