import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillCommand } from '../cli/backfill-command.js';
import { applySchedulesCommand } from '../cli/schedule-commands.js';
import { obfuscateKey } from '../config/secret.js';
import { runCli, waitFor } from '../devstack/session-sync-process.js';
import type { FullSessionSandbox } from '../devstack/sandboxes/fullsession/sandbox-server.js';
import { installTemporalRuntime } from '../worker/install-runtime.js';
import { scheduleId } from '../workflows/workflow-ids.js';
import { capturingLogger } from './support/capturing-logger.js';
import { databaseText, historiesText } from './support/leak-scan.js';
import { startOperatorStack, type OperatorStack } from './support/operator-stack.js';
import { CUSTOMER, DAY, DAY0, newToken, startTestSandbox } from './support/sandbox-fixtures.js';
import { tempDir } from './support/temp-dir.js';

const MAIN = newToken();
const OLD = newToken();
const NEW = newToken();

const secretsDir = tempDir('session-sync-secrets-');
const rotatedFile = join(secretsDir, 'rotated.token');

const configYaml = `
credentials:
  main: { kind: fullsession-api-token, secret: { env: TEST_MAIN_TOKEN } }
  rotated: { description: two keys left in the file by a rotation, kind: fullsession-api-token, secret: { file: ${rotatedFile} } }
defaults:
  schedule: { cron: "0 0 1 1 *", jitter: 0s, catchupWindow: 10m }
  sync: { window: 6h, maxSessionDuration: 4h, settleDelay: 2s, initialLookback: 1h }
accounts:
  ${CUSTOMER}:
    sites:
      site-a: { credential: main }
      site-b: { credential: rotated }
`;

const { log, lines: logLines } = capturingLogger('info');
const printed: string[] = [];
const print = (line: string) => printed.push(line);

/**
 * An API (or a proxy in front of it) that quotes the request's headers in
 * its error bodies, and a key file holding two keys: the keys must appear in
 * no output, log line, row or workflow history.
 */
describe('keys never leave the process, whatever the API sends back', () => {
  let sandbox: FullSessionSandbox;
  let stack: OperatorStack;

  beforeAll(async () => {
    installTemporalRuntime(log);
    writeFileSync(rotatedFile, `${NEW}\n`);
    chmodSync(rotatedFile, 0o600);
    sandbox = await startTestSandbox(MAIN, { now: Date.now(), activeFrom: DAY0 });
    stack = await startOperatorStack({ yaml: configYaml, secrets: { TEST_MAIN_TOKEN: MAIN }, apiUrl: sandbox.url, log });
    await stack.startWorker();
    await applySchedulesCommand(stack.config(), { prune: false }, print);
  });

  afterAll(async () => {
    await stack?.close();
    await sandbox?.close();
  });

  it('a 400 that echoes the Authorization header pauses the schedule with the reason, the key obfuscated', async () => {
    sandbox.faults.failNext('echo_headers');
    const handle = stack.client.schedule.getHandle(scheduleId(stack.taskQueue, { customerId: CUSTOMER, siteId: 'site-a' }));
    await handle.trigger();
    await waitFor(async () => (await handle.describe()).state.paused, 60_000, 'site-a paused');
    const { note } = (await handle.describe()).state;
    expect(note).toMatch(new RegExp(`^paused by session-sync at \\S+: FullSession answered HTTP 400 for site site-a of customer ${CUSTOMER}, which retrying cannot fix: `));
    expect(note).toContain(`"authorization":"Bearer ${obfuscateKey(MAIN)}"`);
    const run = await stack.database.db.selectFrom('sync_runs').select(['status', 'error']).where('site_id', '=', 'site-a').executeTakeFirstOrThrow();
    expect(run.status).toBe('failed');
    expect(run.error).toContain(`Bearer ${obfuscateKey(MAIN)}`);
  });

  it('an HTML error page quoting the headers fails the window after three attempts, the excerpt scrubbed', async () => {
    sandbox.faults.failNext('echo_headers_html', 3);
    const from = new Date(DAY0 + DAY).toISOString();
    const to = new Date(DAY0 + DAY + 6 * 3_600_000).toISOString();
    await expect(backfillCommand(stack.config(), { site: 'site-a', from, to, force: false, detach: false }, print)).rejects.toThrow('Workflow execution failed');
    const run = await stack.database.db.selectFrom('sync_runs').select('error').where('range_start', '=', new Date(from)).executeTakeFirstOrThrow();
    expect(run.error).toContain('Body starts: <html><body>Proxy error. Request headers: {"host":"127.0.0.1:');
    expect(run.error).toContain('(attempt 3 of 3; giving up on this window)');
  });

  it('a key file with two lines is refused at load, naming the credential and not the keys', async () => {
    writeFileSync(rotatedFile, `${OLD}\n${NEW}\n`);
    const check = await runCli(['check'], stack.env);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(
      `FAIL ${CUSTOMER}/site-b with credential rotated: missing_secret: credential rotated: file ${rotatedFile} holds 2 lines; a key is one line (keep only the current key); set it and run the check again`,
    );
    const list = await runCli(['credentials', 'list'], stack.env);
    expect(list.stdout).toMatch(/^rotated\s+fullsession-api-token\s+MISSING\s+/m);
    expectNoKey(check.stdout + check.stderr + list.stdout + list.stderr);
  });

  it('status, status --json, the log, every row and every history hold no key', async () => {
    const status = await runCli(['status'], stack.env);
    const json = await runCli(['status', '--json'], stack.env);
    expect(status.stdout).toContain(`${CUSTOMER}/site-a: schedule paused: paused by session-sync`);
    expect(JSON.parse(json.stdout).sites[0].lastFailure.message).toContain(`Bearer ${obfuscateKey(MAIN)}`);
    expectNoKey(status.stdout + status.stderr + json.stdout + json.stderr);
    expect(logLines.some((line) => line.includes(obfuscateKey(MAIN)))).toBe(true);
    expectNoKey(logLines.join(''));
    expectNoKey(printed.join('\n'));
    expectNoKey(await databaseText(stack.database.db));
    const histories = await historiesText(stack.client, stack.taskQueue);
    expect(histories.count).toBeGreaterThanOrEqual(3);
    expectNoKey(histories.text);
  });
});

function expectNoKey(text: string): void {
  for (const key of [MAIN, OLD, NEW]) expect(text).not.toContain(key);
}
