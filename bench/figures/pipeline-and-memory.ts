import { sql } from 'kysely';
import { copyRowsPerSecond } from '../copy-baseline.js';
import { cpuBetween, cpuSnapshot, type CpuSeconds } from '../process-cpu.js';
import { HOUR, memoryOf, siteIds, startScenario, T0, type BenchStack, type Scenario } from '../bench-stack.js';

export interface PipelineFigure {
  sessions: number;
  seconds: number;
  sessionsPerSecond: number;
  copySessionsPerSecond: number;
  ratio: number;
  /** Share of page time per phase, from the worker's histogram. */
  phases: Record<string, number>;
  /** CPU seconds each process used during the backfill: on 2 cores, where the pipeline's time goes. */
  cpuSeconds: CpuSeconds;
}

export interface MemoryFigure {
  /** From spawning the worker to its /readyz answering 200 (polling its task queue). */
  startupSeconds: number;
  /** The worker's RSS 5 s after it became ready, before any work: start-up garbage not yet collected. */
  readyRssMb: number;
  /** Its RSS 12 s after ready, still idle: after V8's memory reducer, which first runs 8 s after start-up's allocations. */
  idleRssMb: number;
  sessions: number;
  peakRssMb: number;
  /** Highest RSS seen in each quarter of the backfill's progress. */
  rssByQuarterMb: number[];
  flat: boolean;
}

export interface ResyncFigure {
  sessions: number;
  rowsRewritten: number;
  tupleWrites: number;
  seconds: number;
  requests: number;
}

const SITES = 4;
/** About 250,000 sessions per site at 20,000 an hour: about a million in all. */
const RANGE = 12.5 * HOUR;

/**
 * A backfill of about a million sessions (four sites of one account at once,
 * one worker, no rate limit): end-to-end sessions per second against a plain
 * COPY of the same rows, the worker's peak memory by quarter of progress,
 * then a forced re-sync of one site that must rewrite nothing.
 */
export async function measurePipelineMemoryResync(stack: BenchStack): Promise<{ pipeline: PipelineFigure; memory: MemoryFigure; resync: ResyncFigure }> {
  const sites = siteIds(SITES, 'pipe');
  const scenario = await startScenario(stack, 'pipeline', sites, { limitPerMinute: null, ratePerMinute: 1_000_000 });
  try {
    const spawned = performance.now();
    await scenario.startWorkers(1);
    const startupSeconds = (performance.now() - spawned) / 1000;
    const worker = scenario.workers[0]!;
    const rssMbAfter = async (ms: number) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return memoryOf(worker.child.pid!).rssBytes / 2 ** 20;
    };
    const readyRssMb = await rssMbAfter(5_000);
    const idleRssMb = await rssMbAfter(7_000);
    const samples: Array<{ synced: number; rss: number }> = [];
    const sampler = setInterval(() => void sampleProgress(scenario).then((synced) => samples.push({ synced, rss: memoryOf(worker.child.pid!).rssBytes })), 500);
    const cpuBefore = cpuSnapshot([worker.child.pid!]);
    const started = performance.now();
    const totals = await Promise.all(sites.map((site) => scenario.backfill(site, T0, T0 + RANGE)));
    const seconds = (performance.now() - started) / 1000;
    const cpuSeconds = cpuBetween(cpuBefore, cpuSnapshot([worker.child.pid!]));
    clearInterval(sampler);
    const sessions = totals.reduce((sum, t) => sum + t.records, 0);
    const peakRss = memoryOf(worker.child.pid!).peakBytes;
    const phases = await pagePhases(scenario.metricsPorts[0]!);
    const copySessionsPerSecond = await copyRowsPerSecond(scenario.database.url, 'fullsession_sessions');
    const resync = await forcedResync(scenario, sites[0]!);
    return {
      pipeline: { sessions, seconds, sessionsPerSecond: sessions / seconds, copySessionsPerSecond, ratio: sessions / seconds / copySessionsPerSecond, phases, cpuSeconds },
      memory: { startupSeconds, readyRssMb, idleRssMb, ...memoryFigure(sessions, peakRss, samples) },
      resync,
    };
  } finally {
    await scenario.close();
  }
}

async function sampleProgress(scenario: Scenario): Promise<number> {
  const row = await scenario.database.db.selectFrom('sync_checkpoints').select(sql<string>`coalesce(sum(sessions), 0)`.as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

function memoryFigure(sessions: number, peakBytes: number, samples: Array<{ synced: number; rss: number }>): Omit<MemoryFigure, 'startupSeconds' | 'readyRssMb' | 'idleRssMb'> {
  const quarters = [0, 1, 2, 3].map((q) => {
    const inQuarter = samples.filter((s) => s.synced >= (q * sessions) / 4 && s.synced < ((q + 1) * sessions) / 4);
    return Math.max(0, ...inQuarter.map((s) => s.rss)) / 2 ** 20;
  });
  const [first, , , last] = quarters as [number, number, number, number];
  // Flat: the last quarter needs no more than the first plus 15% (garbage collection is not exact).
  return { sessions, peakRssMb: peakBytes / 2 ** 20, rssByQuarterMb: quarters, flat: last <= first * 1.15 };
}

/** Sum of each page phase from the worker's /metrics, as shares of the total. */
async function pagePhases(metricsPort: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const sums: Record<string, number> = {};
  for (const match of text.matchAll(/^session_sync_page_phase_seconds_sum\{phase="(\w+)"\} (\S+)$/gm)) sums[match[1]!] = Number(match[2]);
  const total = Object.values(sums).reduce((a, b) => a + b, 0);
  return Object.fromEntries(Object.entries(sums).map(([phase, value]) => [phase, value / total]));
}

/** `--force` over one site's range: every page fetched again, no row rewritten (xmin and tuple counters). */
async function forcedResync(scenario: Scenario, siteId: string): Promise<ResyncFigure> {
  const db = scenario.database.db;
  const tupleWrites = async () => {
    await sql`select pg_sleep(1.5)`.execute(db);
    await sql`select pg_stat_clear_snapshot()`.execute(db);
    // The partitions count the writes; the partitioned table itself holds none.
    const { rows } = await sql<{ writes: string }>`select coalesce(sum(n_tup_ins + n_tup_upd), 0) as writes from pg_stat_user_tables where relid in (select relid from pg_partition_tree('fullsession_sessions'))`.execute(db);
    return Number(rows[0]!.writes);
  };
  const writesBefore = await tupleWrites();
  const { rows: xid } = await sql<{ x: string }>`select txid_current() as x`.execute(db);
  const requestsBefore = scenario.sandbox.apiRequestCount();
  const started = performance.now();
  const totals = await scenario.backfill(siteId, T0, T0 + RANGE, { force: true });
  const seconds = (performance.now() - started) / 1000;
  const { rows: rewritten } = await sql<{ n: string }>`select count(*) as n from fullsession_sessions where xmin::text::bigint >= ${Number(xid[0]!.x) % 2 ** 32}`.execute(db);
  return { sessions: totals.records, rowsRewritten: Number(rewritten[0]!.n), tupleWrites: (await tupleWrites()) - writesBefore, seconds, requests: scenario.sandbox.apiRequestCount() - requestsBefore };
}
