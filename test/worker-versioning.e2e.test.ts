import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnWorker, waitFor, type WorkerProcess } from '../devstack/session-sync-process.js';
import type { FullSessionSandbox } from '../devstack/sandboxes/fullsession/sandbox-server.js';
import { storedAndTruth } from './support/compare-with-truth.js';
import { DAY, DAY0, newToken, startTestSandbox } from './support/sandbox-fixtures.js';
import { startSyncHarness, type SyncHarness } from './support/sync-harness.js';

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * Under the Temporal Worker Controller: the pod gets TEMPORAL_DEPLOYMENT_NAME
 * and TEMPORAL_WORKER_BUILD_ID besides the connection variables, and the
 * controller makes a version current once its workers poll. The worker
 * must poll as that version, or nothing routes to it.
 */
describe('a worker in a Worker Deployment version (Temporal Worker Controller)', () => {
  const token = newToken();
  let sandbox: FullSessionSandbox;
  let harness: SyncHarness;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    sandbox = await startTestSandbox(token);
    harness = await startSyncHarness(sandbox, token);
  });

  afterAll(async () => {
    worker?.child.kill('SIGKILL');
    await harness?.close();
    await sandbox?.close();
  });

  it('polls as the version the controller names, and syncs exactly once the controller makes it current', async () => {
    const deploymentName = `session-sync-${randomBytes(3).toString('hex')}/default`;
    const buildId = `v1-${randomBytes(3).toString('hex')}`;
    const env = harness.workerEnv({ TEMPORAL_DEPLOYMENT_NAME: deploymentName, TEMPORAL_WORKER_BUILD_ID: buildId });
    worker = spawnWorker(env);
    const service = harness.client.workflowService;
    // What the controller waits for before it promotes a version: the version exists, with pollers.
    await waitFor(
      async () => {
        const described = await service.describeWorkerDeployment({ namespace: 'default', deploymentName }).catch(() => null);
        return (described?.workerDeploymentInfo?.versionSummaries ?? []).some((summary) => summary.deploymentVersion?.buildId === buildId);
      },
      30_000,
      'the worker to register its version',
    );
    await service.setWorkerDeploymentCurrentVersion({ namespace: 'default', deploymentName, buildId, identity: 'controller-stand-in' });
    const result = await runCli(['backfill', '--site', 'site-a', '--from', day(DAY0), '--to', day(DAY0 + DAY)], env);
    expect(result.code).toBe(0);
    const { stored, truth } = await storedAndTruth(harness.database.db, sandbox, DAY0, DAY0 + DAY);
    expect(Object.keys(truth).length).toBeGreaterThan(500);
    expect(stored).toEqual(truth);
  });

  it('refuses half of a version: both variables or neither', async () => {
    const result = await runCli(['schedule', 'list'], harness.workerEnv({ TEMPORAL_WORKER_BUILD_ID: 'v1' }));
    expect([result.code, result.stderr]).toEqual([2, 'session-sync: invalid configuration:\n  - TEMPORAL_DEPLOYMENT_NAME and TEMPORAL_WORKER_BUILD_ID go together (the Temporal Worker Controller sets both): set both or neither\n']);
  });
});
