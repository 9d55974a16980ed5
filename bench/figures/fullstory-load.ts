import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { createScratchDatabase, type ScratchDatabase } from '../../devstack/scratch-database.js';
import { FullStorySandbox } from '../../devstack/sandboxes/fullstory/fullstory-sandbox.js';
import { syncRangeWorkflow } from '../../workflows/sync-range-workflow.js';
import { copyRowsPerSecond } from '../copy-baseline.js';
import { DAY, memoryOf, T0, type BenchStack } from '../bench-stack.js';
import { loadPhases, startFullStoryBenchWorker, stopBenchWorker } from '../fullstory-bench-worker.js';

export interface FullStoryLoadFigure {
  events: number;
  /** From the file's download request to the window's commit: download, parse, COPY, merge, sessions. */
  loadSeconds: number;
  eventsPerSecond: number;
  copyEventsPerSecond: number;
  ratio: number;
  /** Seconds in each phase of the load, as the worker logged them ('copy' includes the download and parsing it waits on). */
  loadPhaseSeconds: Record<string, number>;
  peakRssMb: number;
  /** Highest worker RSS in each quarter of the load's time. */
  rssByQuarterMb: number[];
  flat: boolean;
  /** Re-export of the unchanged window with --force. */
  resyncRowsRewritten: number;
  resyncSeconds: number;
}

const ORG = 'o-bench-na1';
/** About 2.4 million events in the day's window. */
const EVENTS_PER_HOUR = 100_000;

/**
 * One FullStory window of more than 2 million events, exported by the
 * sandbox and loaded by one real worker: its load time against a plain
 * COPY of the same rows into a table like fullstory_events, the worker's
 * memory over the load, then a forced re-export of the unchanged window.
 */
export async function measureFullStoryLoad(stack: BenchStack): Promise<FullStoryLoadFigure> {
  const key = `na1.${randomBytes(24).toString('base64url')}/BENCHKY`;
  const sandbox = await FullStorySandbox.start({ orgs: [{ orgId: ORG, eventsPerHour: EVENTS_PER_HOUR }], keys: [{ key, orgId: ORG, role: 'ARCHITECT', email: 'bench@example.com' }], pendingPolls: 1 });
  const database = await createScratchDatabase(stack.adminDatabaseUrl, { prefix: 'session_sync_bench' });
  const taskQueue = `bench-fullstory-${Date.now()}`;
  const { worker } = await startFullStoryBenchWorker(stack, database, sandbox, { orgId: ORG, key, taskQueue, sites: '      events: { credential: bench, sync: { window: 24h } }', pollInterval: '1s' });
  const backfill = async (force: boolean) => {
    const handle = await stack.client.workflow.start(syncRangeWorkflow, {
      workflowId: `bench-fullstory-${force ? 'resync' : 'load'}-${Date.now()}`,
      taskQueue,
      args: [{ site: { source: 'fullstory', customerId: ORG, siteId: 'events', credentialName: 'bench' }, from: T0, to: T0 + DAY, windowMs: DAY, lookbackMs: 0, force, kind: 'backfill' }],
    });
    return handle.result();
  };
  try {
    const rss: Array<{ at: number; bytes: number }> = [];
    const sampler = setInterval(() => rss.push({ at: Date.now(), bytes: memoryOf(worker.child.pid!).rssBytes }), 250);
    const totals = await backfill(false);
    const loadEnded = Date.now();
    clearInterval(sampler);
    const loadStarted = downloadStart(sandbox);
    const loadSeconds = (loadEnded - loadStarted) / 1000;
    const loadPhaseSeconds = Object.fromEntries(Object.entries(loadPhases(worker)[0] ?? {}).map(([phase, ms]) => [phase, ms / 1000]));
    const copyEventsPerSecond = await copyRowsPerSecond(database.url, 'fullstory_events');
    const resync = await forcedReexport(database, () => backfill(true));
    const quarters = [0, 1, 2, 3].map((q) => {
      const from = loadStarted + (q * (loadEnded - loadStarted)) / 4;
      const to = loadStarted + ((q + 1) * (loadEnded - loadStarted)) / 4;
      return Math.max(0, ...rss.filter((s) => s.at >= from && s.at < to).map((s) => s.bytes)) / 2 ** 20;
    });
    return {
      events: totals.records,
      loadSeconds,
      eventsPerSecond: totals.records / loadSeconds,
      copyEventsPerSecond,
      ratio: totals.records / loadSeconds / copyEventsPerSecond,
      loadPhaseSeconds,
      peakRssMb: memoryOf(worker.child.pid!).peakBytes / 2 ** 20,
      rssByQuarterMb: quarters,
      // Flat: the last quarter needs no more than the first plus 15% (garbage collection is not exact).
      flat: quarters[3]! <= quarters[0]! * 1.15,
      ...resync,
    };
  } finally {
    await stopBenchWorker(worker);
    await sandbox.close();
    await database.drop();
  }
}

/** When the worker asked for the export file: the load starts there. */
function downloadStart(sandbox: FullStorySandbox): number {
  const download = sandbox.requests.find((request) => request.path.startsWith('/_files/'));
  if (!download) throw new Error('the worker never downloaded the export file');
  return download.at;
}

/** `--force` over the window: exported and loaded again, no event or session rewritten (xmin). */
async function forcedReexport(database: ScratchDatabase, reexport: () => Promise<unknown>): Promise<{ resyncRowsRewritten: number; resyncSeconds: number }> {
  const db = database.db;
  const { rows: xid } = await sql<{ x: string }>`select txid_current() as x`.execute(db);
  const started = performance.now();
  await reexport();
  const resyncSeconds = (performance.now() - started) / 1000;
  const since = Number(xid[0]!.x) % 2 ** 32;
  const { rows } = await sql<{ n: string }>`
    select (select count(*) from fullstory_events where xmin::text::bigint >= ${since}) + (select count(*) from fullstory_sessions where xmin::text::bigint >= ${since}) as n`.execute(db);
  return { resyncRowsRewritten: Number(rows[0]!.n), resyncSeconds };
}
