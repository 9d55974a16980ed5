import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeMetricsPort } from '../devstack/free-port.js';
import type { FullSessionSandbox } from '../devstack/sandboxes/fullsession/sandbox-server.js';
import { syncRangeWorkflow } from '../workflows/sync-range-workflow.js';
import { CUSTOMER, DAY, DAY0, HOUR, MAX_SESSION, newToken, SITE, startTestSandbox, syncRequestCount } from './support/sandbox-fixtures.js';
import { startSyncHarness, type SyncHarness } from './support/sync-harness.js';
import { spawnWorker, waitFor, waitUntilReady, type WorkerProcess } from '../devstack/session-sync-process.js';

/** What an operator's monitoring sees of a real worker process: metrics, health, logs. */
describe('a worker process, observed', () => {
  const token = newToken();
  let sandbox: FullSessionSandbox;
  let harness: SyncHarness;
  let worker: WorkerProcess;
  let base: string;

  beforeAll(async () => {
    sandbox = await startTestSandbox(token);
    harness = await startSyncHarness(sandbox, token);
    const port = await freeMetricsPort();
    base = `http://127.0.0.1:${port}`;
    worker = spawnWorker(harness.workerEnv({ METRICS_PORT: String(port), METRICS_ALLOWED_HOSTS: 'worker-1.internal', LOG_LEVEL: 'debug' }));
    await waitUntilReady(worker, base);
    sandbox.faults.failNext('server_error');
    await harness.client.workflow.execute(syncRangeWorkflow, {
      workflowId: `observed-${randomBytes(3).toString('hex')}`,
      taskQueue: harness.taskQueue,
      args: [{ site: { customerId: CUSTOMER, siteId: SITE, credentialName: 'FULLSESSION_API_TOKEN' }, from: DAY0, to: DAY0 + DAY, windowMs: 6 * HOUR, lookbackMs: MAX_SESSION, force: false, kind: 'backfill' }],
    });
  });

  afterAll(async () => {
    worker?.child.kill('SIGTERM');
    await worker?.exited;
    await harness?.close();
    await sandbox?.close();
  });

  it('serves the product metrics and Temporal runtime metrics on one /metrics', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const value = (line: string) => Number(new RegExp(`^${line.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    const labels = `source="fullsession",account="${CUSTOMER}",site="${SITE}"`;
    const pages = await harness.database.db.selectFrom('sync_checkpoints').select((eb) => eb.fn.sum<string>('pages').as('pages')).executeTakeFirstOrThrow();
    const rows = await harness.database.db.selectFrom('fullsession_sessions').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(value(`session_sync_pages_total{${labels}}`)).toBe(Number(pages.pages));
    expect(value(`session_sync_sessions_upserted_total{${labels}}`)).toBe(Number(rows.n));
    expect(value(`session_sync_api_requests_total{${labels},status="2xx"}`)).toBe(Number(pages.pages));
    expect(value(`session_sync_api_requests_total{${labels},status="503"}`)).toBe(1);
    // Freshness and completeness, read from Postgres at scrape time: the backfilled day is complete, with no gap.
    const site = `source="fullsession",customer="${CUSTOMER}",site="${SITE}"`;
    expect(value(`session_sync_last_success_timestamp_seconds{${site}}`)).toBeGreaterThan(Date.now() / 1000 - 120);
    expect(value(`session_sync_watermark_timestamp_seconds{${site}}`)).toBe((DAY0 + DAY) / 1000);
    expect(value(`session_sync_fresh_until_timestamp_seconds{${site}}`)).toBe((DAY0 + DAY) / 1000);
    expect(value(`session_sync_coverage_gap_seconds{${site}}`)).toBe(0);
    // Every series the shipped alert rules read is served.
    const ruleMetrics = new Set(readFileSync(new URL('../alerts/session-sync-alerts.yml', import.meta.url), 'utf8').match(/session_sync_\w+/g));
    expect(ruleMetrics.size).toBe(6);
    for (const metric of ruleMetrics) expect(text).toMatch(new RegExp(`^# TYPE ${metric} (gauge|counter)$`, 'm'));
    expect(text).toMatch(new RegExp(`^session_sync_lag_seconds\\{source="fullsession",account="${CUSTOMER}",site="site-a"\\} \\d`, 'm'));
    expect(text).toMatch(new RegExp(`^session_sync_rate_budget_wait_seconds_total\\{source="fullsession",account="${CUSTOMER}"\\} `, 'm'));
    expect(text).toMatch(/^session_sync_process_resident_memory_bytes \d/m);
    expect(text).toMatch(/^temporal_\w+/m);
    expect(syncRequestCount(sandbox)).toBe(Number(pages.pages) + 1);
  });

  it('refuses to start on a metrics port another process holds, saying which and why', async () => {
    for (const [taken, message] of [
      [0, (port: number) => `cannot serve /metrics on 127.0.0.1:${port} (METRICS_PORT, METRICS_HOST): EADDRINUSE; is another process using that port?`],
      [1, (port: number) => `cannot serve Temporal's runtime metrics on 127.0.0.1:${port + 1} (METRICS_PORT + 1, folded into /metrics): `],
    ] as const) {
      const port = await freeMetricsPort();
      const holder = createServer();
      await new Promise<void>((resolve) => holder.listen(port + taken, '127.0.0.1', resolve));
      const refused = spawnWorker(harness.workerEnv({ METRICS_PORT: String(port), METRICS_HOST: '127.0.0.1' }));
      expect(await refused.exited).toBe(1);
      expect(refused.output()).toContain(message(port));
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });

  it('answers addresses, localhost and the allowed names only (DNS rebinding), on 127.0.0.1 by default, never letting a browser guess a type', async () => {
    const port = Number(new URL(base).port);
    const ask = (host: string, path = '/status') =>
      new Promise<{ status: number; nosniff: string | undefined; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, nosniff: res.headers['x-content-type-options'] as string | undefined, body }));
        });
        req.on('error', reject).end();
      });
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `worker-1.internal:${port}`, `10.0.3.7:${port}`]) {
      expect(await ask(host), host).toMatchObject({ status: 200, nosniff: 'nosniff' });
    }
    expect(await ask(`rebind.attacker.example:${port}`)).toEqual({ status: 403, nosniff: 'nosniff', body: 'this Host is not allowed: add its name to METRICS_ALLOWED_HOSTS\n' });
    expect((await ask(`rebind.attacker.example:${port}`, '/metrics')).status).toBe(403);
    await waitFor(() => worker.output().includes('"host":"rebind.attacker.example:'), 5_000, 'the refusal in the log');
    // Bound to 127.0.0.1 when METRICS_HOST is not set: the machine's other addresses get no answer.
    expect(worker.output()).toContain(`"metrics":"http://127.0.0.1:${port}/metrics"`);
  });

  it('answers /healthz and /readyz with each dependency', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, checks: { postgres: 'ok', temporal: 'ok', worker: 'ok' } });
  });

  it('logs JSON: a line per page at debug and per window at info, with site, workflow and window, Temporal forwarded, no key', async () => {
    // Workflow log lines are written after the activation that completes the workflow.
    await waitFor(() => worker.output().split('"msg":"window synced"').length - 1 === 4, 10_000, 'four window lines');
    const lines = worker.output().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    const pages = lines.filter((line) => line.msg === 'page synced');
    expect(pages.length).toBeGreaterThan(4);
    expect(pages[0]).toMatchObject({ level: 20, customerId: CUSTOMER, siteId: SITE, workflowId: expect.stringMatching(/^observed-/), windowStart: expect.any(String), windowEnd: expect.any(String) });
    expect(lines.filter((line) => line.msg === 'window synced' && line.level === 30)).toHaveLength(4);
    expect(lines.some((line) => line.module === 'temporal')).toBe(true);
    expect(lines.some((line) => line.msg === 'credential check ok')).toBe(true);
    expect(worker.output()).not.toContain(token);
  });
});
