import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { startEmbeddedPostgresProcess } from '../devstack/embedded-postgres-process.js';
import { freeMetricsPort } from '../devstack/free-port.js';
import { createScratchDatabase, type ScratchDatabase } from '../devstack/scratch-database.js';
import { runCli, spawnWorker, type WorkerProcess } from '../devstack/session-sync-process.js';
import { startTemporalDevServer } from '../devstack/temporal-dev-server.js';
import { FullSessionSandbox } from '../devstack/sandboxes/fullsession/sandbox-server.js';
import type { SiteSpec } from '../devstack/sandboxes/fullsession/session-generator.js';
import { syncRangeWorkflow, type SyncRangeInput } from '../workflows/sync-range-workflow.js';
import type { RunResult } from '../workflows/sync-contract.js';

export const CUSTOMER = 'bench';
/** A fresh sandbox key per run, shaped like FullSession's. */
export const TOKEN = `fus_${randomBytes(16).toString('hex')}`;
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** Sessions are short, so a window's lookback returns few sessions it does not own. */
export const MAX_SESSION = 60_000;
export const SESSIONS_PER_HOUR = 20_000;
export const WINDOW = 12 * HOUR;
export const T0 = Date.UTC(2026, 0, 5);

export interface BenchStack {
  client: Client;
  temporalAddress: string;
  adminDatabaseUrl: string;
  postgresSource: string;
  bundlePath: string;
  close(): Promise<void>;
}

/** The same real parts as the tests: a Temporal dev server, Postgres, the built workflow bundle. */
export async function startBenchStack(): Promise<BenchStack> {
  const [temporal, postgres] = await Promise.all([
    startTemporalDevServer(),
    process.env.DATABASE_URL ? Promise.resolve({ url: process.env.DATABASE_URL, stop: async () => {} }) : startEmbeddedPostgresProcess(),
  ]);
  // The shipped bundle, as the image's workers run it (`prebench` builds it).
  const bundlePath = fileURLToPath(new URL('../dist/workflow-bundle.js', import.meta.url));
  const client = new Client({ connection: await Connection.connect({ address: temporal.address }) });
  return {
    client,
    temporalAddress: temporal.address,
    adminDatabaseUrl: postgres.url,
    postgresSource: process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded-postgres',
    bundlePath,
    async close() {
      await client.connection.close();
      await temporal.stop();
      await postgres.stop();
    },
  };
}

export function siteIds(count: number, prefix: string): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}`);
}

/** How a scenario's sites' traffic looks; the default is benchmark density with short sessions. */
export type TrafficProfile = Pick<SiteSpec, 'sessionsPerHour' | 'maxSessionDurationMs' | 'dailyCycle' | 'steady'>;

export const BENCH_DENSITY: TrafficProfile = { sessionsPerHour: SESSIONS_PER_HOUR, maxSessionDurationMs: MAX_SESSION };

/** A sandbox at benchmark density (or the given profile): 1,000-session pages, as the real API's. */
export function startBenchSandbox(sites: string[], limitPerMinute: number | null, profile: TrafficProfile = BENCH_DENSITY): Promise<FullSessionSandbox> {
  return FullSessionSandbox.start({
    sites: sites.map((siteId) => ({ customerId: CUSTOMER, siteId, ...profile })),
    tokens: [{ token: TOKEN, customerId: CUSTOMER, sites: 'all' }],
    activeFrom: T0 - DAY,
    now: T0 + 60 * DAY,
    pageSize: 1000,
    limitPerMinute,
  });
}

export interface Scenario {
  database: ScratchDatabase;
  /** The task queue its workers poll. */
  taskQueue: string;
  sandbox: FullSessionSandbox;
  workers: WorkerProcess[];
  metricsPorts: number[];
  startWorkers(count: number, env?: Record<string, string>): Promise<void>;
  /** Runs a backfill to its end. */
  backfill(siteId: string, from: number, to: number, extra?: Partial<SyncRangeInput>): Promise<RunResult>;
  /** Starts a backfill and returns its handle (the rate figure stops them by terminating). */
  startBackfill(siteId: string, from: number, to: number): Promise<WorkflowHandle<typeof syncRangeWorkflow>>;
  close(): Promise<void>;
}

/**
 * One figure's world: its own database, sandbox, task queue and worker
 * processes. `root`: the project folder of another build
 * (devstack/previous-release.ts), whose `migrate` makes the database and
 * whose workers run.
 */
export async function startScenario(stack: BenchStack, name: string, sites: string[], options: { limitPerMinute: number | null; ratePerMinute: number; profile?: TrafficProfile; root?: string }): Promise<Scenario> {
  const database = await createScratchDatabase(stack.adminDatabaseUrl, { prefix: 'session_sync_bench', migrate: options.root === undefined });
  if (options.root) {
    const migrated = await runCli(['migrate'], { DATABASE_URL: database.url, TEMPORAL_ADDRESS: stack.temporalAddress, FULLSESSION_API_TOKEN: TOKEN, FULLSESSION_CUSTOMER_ID: CUSTOMER, FULLSESSION_SITE_IDS: sites.join(',') }, options.root);
    if (migrated.code !== 0) throw new Error(`migrate of ${options.root} failed: ${migrated.stderr.slice(-2000)}`);
  }
  const sandbox = await startBenchSandbox(sites, options.limitPerMinute, options.profile);
  const taskQueue = `bench-${name}-${Date.now()}`;
  const start = (siteId: string, from: number, to: number, extra: Partial<SyncRangeInput>) =>
    stack.client.workflow.start(syncRangeWorkflow, {
      workflowId: `bench-${name}-${siteId}-${Date.now()}`,
      taskQueue,
      args: [{ site: { customerId: CUSTOMER, siteId, credentialName: 'FULLSESSION_API_TOKEN' }, from, to, windowMs: WINDOW, lookbackMs: MAX_SESSION, force: false, kind: 'backfill', ...extra }],
    });
  const scenario: Scenario = {
    database,
    taskQueue,
    sandbox,
    workers: [],
    metricsPorts: [],
    async startWorkers(count, env = {}) {
      for (let i = 0; i < count; i++) {
        const port = await freeMetricsPort();
        scenario.metricsPorts.push(port);
        scenario.workers.push(
          spawnWorker({
            DATABASE_URL: database.url,
            TEMPORAL_ADDRESS: stack.temporalAddress,
            TEMPORAL_TASK_QUEUE: taskQueue,
            FULLSESSION_API_URL: sandbox.url,
            FULLSESSION_API_TOKEN: TOKEN,
            FULLSESSION_CUSTOMER_ID: CUSTOMER,
            FULLSESSION_SITE_IDS: sites.join(','),
            FULLSESSION_RATE_LIMIT_PER_MINUTE: String(options.ratePerMinute),
            SYNC_WINDOW: '12h',
            SYNC_MAX_SESSION_DURATION: '1m',
            WORKFLOW_BUNDLE_PATH: options.root ? join(options.root, 'dist', 'workflow-bundle.js') : stack.bundlePath,
            METRICS_PORT: String(port),
            METRICS_HOST: '127.0.0.1',
            LOG_LEVEL: 'warn',
            ...env,
          }, options.root, cpuProfileFlags()),
        );
      }
      await Promise.all(scenario.workers.slice(-count).map((worker, i) => waitUntilReady(scenario.metricsPorts.slice(-count)[i]!, worker)));
    },
    async backfill(siteId, from, to, extra = {}) {
      return (await start(siteId, from, to, extra)).result();
    },
    startBackfill: (siteId, from, to) => start(siteId, from, to, {}),
    async close() {
      // A profiled worker writes its profile only when it exits by itself.
      for (const worker of scenario.workers) worker.child.kill(cpuProfileFlags().length > 0 ? 'SIGTERM' : 'SIGKILL');
      await Promise.all(scenario.workers.map((worker) => worker.exited));
      await sandbox.close();
      await database.drop();
    },
  };
  return scenario;
}

/**
 * With BENCH_CPU_PROFILE_DIR set, workers write a V8 CPU profile there
 * when they exit (stop them with SIGTERM, not SIGKILL): open it in Chrome's
 * DevTools or summarise it with `node scripts/cpu-profile-summary.mjs`.
 */
export function cpuProfileFlags(): string[] {
  const dir = process.env.BENCH_CPU_PROFILE_DIR;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

/** Waits for a worker's /readyz; fails with its output when it does not come up. */
export async function waitUntilReady(port: number, worker: WorkerProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && worker.child.exitCode === null) {
    const status = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status, () => 0);
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`worker on metrics port ${port} did not become ready; its output ends:\n${worker.output().slice(-2000)}`);
}

/** Current and peak resident memory of a process, from /proc (Linux); zeros once it has exited. */
export function memoryOf(pid: number): { rssBytes: number; peakBytes: number } {
  let status = '';
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return { rssBytes: 0, peakBytes: 0 };
  }
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rssBytes: kb('VmRSS'), peakBytes: kb('VmHWM') };
}
