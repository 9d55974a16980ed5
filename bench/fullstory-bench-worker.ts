import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeMetricsPort } from '../devstack/free-port.js';
import type { ScratchDatabase } from '../devstack/scratch-database.js';
import { spawnWorker, type WorkerProcess } from '../devstack/session-sync-process.js';
import type { FullStorySandbox } from '../devstack/sandboxes/fullstory/fullstory-sandbox.js';
import { cpuProfileFlags, waitUntilReady, type BenchStack } from './bench-stack.js';

export interface FullStoryBenchWorker {
  worker: WorkerProcess;
  /** The environment the worker runs with: what a CLI command over the same deployment needs. */
  env: Record<string, string>;
}

/**
 * A real worker for one FullStory org of the sandbox, configured by a config
 * file whose credential `bench` holds `key`; `sites` is the account's
 * `sites:` block as YAML, indented by six spaces. `root`: the project
 * folder of another build to run (devstack/previous-release.ts).
 */
export async function startFullStoryBenchWorker(stack: BenchStack, database: ScratchDatabase, sandbox: FullStorySandbox, options: { orgId: string; key: string; taskQueue: string; sites: string; pollInterval: string; root?: string }): Promise<FullStoryBenchWorker> {
  const configPath = join(mkdtempSync(join(tmpdir(), 'session-sync-bench-fullstory-')), 'session-sync.yaml');
  writeFileSync(configPath, `
credentials:
  bench: { kind: fullstory-api-key, secret: { env: BENCH_FULLSTORY_KEY } }
accounts:
  ${options.orgId}:
    source: fullstory
    rateLimitPerMinute: 100000
    sites:
${options.sites}
`);
  const port = await freeMetricsPort();
  const env = {
    SESSION_SYNC_CONFIG: configPath,
    BENCH_FULLSTORY_KEY: options.key,
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    TEMPORAL_TASK_QUEUE: options.taskQueue,
    FULLSTORY_API_URL: sandbox.url,
    FULLSTORY_EU_API_URL: sandbox.url,
    FULLSTORY_POLL_INTERVAL: options.pollInterval,
    // Another build (a previous release's, in `root`) runs its own bundle.
    WORKFLOW_BUNDLE_PATH: options.root ? join(options.root, 'dist', 'workflow-bundle.js') : stack.bundlePath,
    METRICS_PORT: String(port),
    METRICS_HOST: '127.0.0.1',
    // info: the worker's 'export file loaded' line says where a load's time went (loadPhases).
    LOG_LEVEL: 'info',
  };
  const worker = spawnWorker(env, options.root, cpuProfileFlags());
  await waitUntilReady(port, worker);
  return { worker, env };
}

/**
 * Milliseconds in each phase of every export file the worker loaded
 * (download and COPY, renumbering, sessions…), from its 'export file loaded' log lines.
 */
export function loadPhases(worker: WorkerProcess): Array<Record<string, number>> {
  return worker
    .output()
    .split('\n')
    .filter((line) => line.includes('"export file loaded"'))
    .map((line) => (JSON.parse(line) as { phaseMs: Record<string, number> }).phaseMs);
}

/** Stops the worker as a deployment does, so a CPU profile is written; SIGKILL if it has not exited in 30 s. */
export async function stopBenchWorker(worker: WorkerProcess): Promise<void> {
  worker.child.kill('SIGTERM');
  const killer = setTimeout(() => worker.child.kill('SIGKILL'), 30_000);
  await worker.exited;
  clearTimeout(killer);
}
