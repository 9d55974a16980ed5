import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { backfillRequest } from '../../cli/backfill-request.js';
import { applySchedulesCommand } from '../../cli/schedule-commands.js';
import { committedPages } from '../../devstack/committed-pages.js';
import { spawnWorker, waitFor, type WorkerProcess } from '../../devstack/session-sync-process.js';
import type { Database } from '../../db/database.js';
import { installTemporalRuntime } from '../../worker/install-runtime.js';
import { syncRangeWorkflow, type SyncRangeInput } from '../../workflows/sync-range-workflow.js';
import { scheduleId } from '../../workflows/workflow-ids.js';
import { capturingLogger } from '../support/capturing-logger.js';
import { databaseText, historiesText } from '../support/leak-scan.js';
import { startOperatorStack, type OperatorStack } from '../support/operator-stack.js';

/** A vendor's simulated API, set up as the contract needs it. */
export interface ContractSandbox {
  /** What a deployment needs to reach the sandbox instead of the vendor (its API URL variable). */
  apiEnv: Record<string, string>;
  /**
   * The config file: one account with two sites, `main` read with a key that
   * stays valid, `revocable` with one that `revokeKey` revokes; a schedule
   * cron that never fires during a test (every run is triggered).
   */
  configYaml: string;
  /** The keys' environment variables. */
  secrets: Record<string, string>;
  sites: { main: SiteName; revocable: SiteName };
  /** Closed ranges of `main`, each worth several units: one to land, one to kill workers in. */
  ranges: { land: Range; kill: Range };
  /** The stored records of `main` in a range and the sandbox's truth, each as id → record, for an exact comparison. */
  storedAndTruth(db: Kysely<Database>, range: Range): Promise<{ stored: Record<string, unknown>; truth: Record<string, unknown> }>;
  /** Row versions (id and xmin) of `main`'s records: equal before and after a re-sync that wrote nothing. */
  rowVersions(db: Kysely<Database>): Promise<string[]>;
  /** Data requests (units) the sandbox answered for a site; credential probes and file downloads not counted. */
  unitRequests(site: SiteName): number;
  revokeKey(): void;
  /** Latency of every unit, so that a kill lands inside a run. */
  setUnitLatency(ms: number): void;
  close(): Promise<void>;
}

export interface SiteName {
  customerId: string;
  siteId: string;
}

export interface Range {
  from: number;
  to: number;
}

export interface SourceContractPlugin {
  /** The source under test, as the registry names it. */
  source: string;
  startSandbox(): Promise<ContractSandbox>;
}

const KILLS = 3;

/**
 * The guarantees every source gives, whatever its vendor: exact records,
 * at most one unit re-fetched per crash, a permanent failure that pauses
 * the schedule, no key anywhere, and a re-sync of unchanged data that writes
 * nothing. A new source plugs in with one file:
 *
 *   describeSourceContract({ source: 'fullstory', startSandbox: startFullStoryContractSandbox });
 */
export function describeSourceContract(plugin: SourceContractPlugin): void {
  describe(`the source contract: ${plugin.source}`, () => {
    const { log, lines: logLines } = capturingLogger('info');
    let sandbox: ContractSandbox;
    let stack: OperatorStack;
    const workers: WorkerProcess[] = [];

    beforeAll(async () => {
      installTemporalRuntime(log);
      sandbox = await plugin.startSandbox();
      stack = await startOperatorStack({ yaml: sandbox.configYaml, secrets: sandbox.secrets, env: sandbox.apiEnv, log });
      await stack.startWorker();
    });

    afterEach(() => {
      for (const worker of workers) worker.child.kill('SIGKILL');
    });

    afterAll(async () => {
      await stack?.close();
      await sandbox?.close();
    });

    /** The backfill the CLI would start for `range` of `main`, with a short heartbeat so a killed worker's unit moves on fast. */
    const backfillInput = (range: Range): SyncRangeInput => {
      const { input } = backfillRequest(stack.config(), { site: `${sandbox.sites.main.customerId}/${sandbox.sites.main.siteId}`, from: new Date(range.from).toISOString(), to: new Date(range.to).toISOString(), force: false });
      return { ...input, heartbeatTimeoutMs: 4_000 };
    };
    const run = (input: SyncRangeInput) => stack.client.workflow.execute(syncRangeWorkflow, { workflowId: `contract-${randomBytes(4).toString('hex')}`, taskQueue: stack.taskQueue, args: [input] });
    const unitsOf = (range: Range) => committedPages(stack.database.db, { ...sandbox.sites.main, ...range });

    it('lands exactly the records the API holds, one API request a unit', async () => {
      const before = sandbox.unitRequests(sandbox.sites.main);
      const totals = await run(backfillInput(sandbox.ranges.land));
      const { stored, truth } = await sandbox.storedAndTruth(stack.database.db, sandbox.ranges.land);
      expect(Object.keys(truth).length).toBeGreaterThan(100);
      expect(stored).toEqual(truth);
      expect(sandbox.unitRequests(sandbox.sites.main) - before).toBe(totals.requests);
      expect(totals.requests).toBe(await unitsOf(sandbox.ranges.land));
    });

    it('re-syncs unchanged data with --force and rewrites no row', async () => {
      const versions = await sandbox.rowVersions(stack.database.db);
      const totals = await run({ ...backfillInput(sandbox.ranges.land), force: true });
      expect(totals.pages).toBeGreaterThan(0);
      expect(await sandbox.rowVersions(stack.database.db)).toEqual(versions);
    });

    it(`survives ${KILLS} SIGKILLs of real worker processes with exact records and at most one unit re-fetched per kill`, async () => {
      await stack.stopWorker();
      sandbox.setUnitLatency(100);
      const before = sandbox.unitRequests(sandbox.sites.main);
      const handle = await stack.client.workflow.start(syncRangeWorkflow, { workflowId: `contract-kill-${randomBytes(4).toString('hex')}`, taskQueue: stack.taskQueue, args: [backfillInput(sandbox.ranges.kill)] });
      const spawn = () => {
        const worker = spawnWorker({ ...stack.env, WORKER_STICKY_QUEUE_TIMEOUT: '1s' });
        workers.push(worker);
        return worker;
      };
      for (let kill = 0; kill < KILLS; kill++) {
        const unitsBefore = await unitsOf(sandbox.ranges.kill);
        const worker = spawn();
        await waitFor(async () => (await unitsOf(sandbox.ranges.kill)) > unitsBefore, 60_000, `progress before kill ${kill + 1}`);
        await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 300)));
        worker.child.kill('SIGKILL');
        await worker.exited;
      }
      sandbox.setUnitLatency(0);
      spawn();
      await handle.result();
      const { stored, truth } = await sandbox.storedAndTruth(stack.database.db, sandbox.ranges.kill);
      expect(stored).toEqual(truth);
      const refetched = sandbox.unitRequests(sandbox.sites.main) - before - (await unitsOf(sandbox.ranges.kill));
      expect(refetched).toBeGreaterThanOrEqual(0);
      expect(refetched).toBeLessThanOrEqual(KILLS);
      for (const worker of workers) worker.child.kill('SIGKILL');
      await Promise.all(workers.map((worker) => worker.exited));
      await stack.startWorker();
    }, 240_000);

    it('stops after one request on a revoked key and pauses the schedule with the reason', async () => {
      await applySchedulesCommand(stack.config(), { prune: false }, () => {});
      const handle = stack.client.schedule.getHandle(scheduleId(stack.taskQueue, { source: plugin.source, ...sandbox.sites.revocable }));
      sandbox.revokeKey();
      const before = sandbox.unitRequests(sandbox.sites.revocable);
      await handle.trigger();
      await waitFor(async () => (await handle.describe()).state.paused, 60_000, 'the schedule paused');
      expect((await handle.describe()).state.note).toMatch(/^paused by session-sync at \S+: .*credential/);
      expect(sandbox.unitRequests(sandbox.sites.revocable) - before).toBe(1);
    });

    it('keeps every key out of rows, histories, logs and worker output', async () => {
      const keys = Object.values(sandbox.secrets);
      const texts = [await databaseText(stack.database.db), (await historiesText(stack.client, stack.taskQueue)).text, logLines.join(''), ...workers.map((worker) => worker.output())];
      for (const key of keys) for (const text of texts) expect(text).not.toContain(key);
    });
  });
}
