import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { startEmbeddedPostgresProcess } from '../../devstack/embedded-postgres-process.js';
import { createScratchDatabase } from '../../devstack/scratch-database.js';
import { FullStorySandbox } from '../../devstack/sandboxes/fullstory/fullstory-sandbox.js';
import { syncRangeWorkflow } from '../../workflows/sync-range-workflow.js';
import { DAY, HOUR, T0, type BenchStack } from '../bench-stack.js';
import { startFullStoryBenchWorker } from '../fullstory-bench-worker.js';

/** One window's load into tables that already hold `storedEvents` rows. */
export interface ScaleStep {
  storedEvents: number;
  events: number;
  secondsPerMillionRows: number;
  walBytesPerRow: number;
  /** Shared buffers hit or read by the database per row loaded (pg_stat_database). */
  buffersPerRow: number;
  /** fullstory_events with its indexes and TOAST, per row, after the load: what the copy costs on disk. */
  diskBytesPerRow: number;
}

export interface ScaleFigure {
  sharedBuffers: string;
  steps: ScaleStep[];
  /** Each figure at the largest size over the same at the empty table. */
  worstRatio: number;
}

const ORG = 'o-scale-na1';
/** A little over a million events in the day's window (the sandbox's day is not flat). */
const EVENTS_PER_HOUR = 48_000;
/**
 * What the table holds before each measured load: flat cost up to 50M is
 * the goal. 50M rows of this shape take about 50 GB (1,000 bytes a row with
 * indexes, measured) and WAL besides: BENCH_SCALE_SIZES (e.g. `0,10000000,25000000`) measures less
 * where the disk is smaller, or runs a quick check.
 */
const SIZES = process.env.BENCH_SCALE_SIZES ? process.env.BENCH_SCALE_SIZES.split(',').map(Number) : [0, 10_000_000, 50_000_000];
/** Small on purpose, so that an index of tens of millions of rows no longer fits (TimescaleDB's sizing rule). */
const SHARED_BUFFERS = '128MB';

/**
 * `npm run bench -- scale`: the same one-day FullStory window (about a
 * million events) loaded by a real worker into fullstory_events holding 0,
 * 10M and 50M rows, on a Postgres of its own with shared_buffers at 128 MB:
 * wall time, WAL bytes and shared buffers touched per row. The rows already
 * there are the first load's, copied to earlier days in SQL, so they are
 * shaped as real exports are.
 */
export async function measureScale(stack: BenchStack, log: (line: string) => void): Promise<ScaleFigure> {
  log(`scale: loads into ${SIZES.map((size) => size.toLocaleString('en')).join(', ')} rows, shared_buffers ${SHARED_BUFFERS}`);
  const postgres = await startEmbeddedPostgresProcess({ settings: { shared_buffers: SHARED_BUFFERS, max_wal_size: '4GB', checkpoint_timeout: '30min' } });
  const database = await createScratchDatabase(postgres.url, { prefix: 'session_sync_scale' });
  const key = `na1.${randomBytes(24).toString('base64url')}/SCALEKY`;
  const sandbox = await FullStorySandbox.start({ orgs: [{ orgId: ORG, eventsPerHour: EVENTS_PER_HOUR }], keys: [{ key, orgId: ORG, role: 'ARCHITECT', email: 'bench@example.com' }], pendingPolls: 1 });
  const taskQueue = `bench-scale-${Date.now()}`;
  const { worker } = await startFullStoryBenchWorker({ ...stack, adminDatabaseUrl: postgres.url }, database, sandbox, { orgId: ORG, key, taskQueue, sites: '      events: { credential: bench, sync: { window: 24h } }', pollInterval: '1s' });
  const load = async (from: number, to: number) => {
    const handle = await stack.client.workflow.start(syncRangeWorkflow, {
      workflowId: `bench-scale-${from}-${Date.now()}`,
      taskQueue,
      args: [{ site: { source: 'fullstory', customerId: ORG, siteId: 'events', credentialName: 'bench' }, from, to, windowMs: DAY, lookbackMs: 0, force: false, kind: 'backfill' }],
    });
    return handle.result();
  };
  try {
    // One hour of the day before, so that the first measured load does not also pay for a cold worker and server.
    await load(T0 - DAY, T0 - DAY + HOUR);
    const steps: ScaleStep[] = [];
    for (const [index, size] of SIZES.entries()) {
      // Measured days lie after the first: the copies fill the days before T0.
      const day = T0 + index * DAY;
      if (size > 0) {
        log(`scale: filling fullstory_events to ${size.toLocaleString('en')} rows`);
        await fillTo(database.db, size, T0);
      }
      const stored = await countEvents(database.db);
      log(`scale: loading a day's window into ${stored.toLocaleString('en')} rows`);
      const before = await counters(database.db);
      const started = performance.now();
      const totals = await load(day, day + DAY);
      const seconds = (performance.now() - started) / 1000;
      const after = await counters(database.db);
      const disk = await sql<{ bytes: string; n: string }>`select pg_total_relation_size('fullstory_events') as bytes, (select count(*) from fullstory_events) as n`.execute(database.db);
      steps.push({
        diskBytesPerRow: Number(disk.rows[0]!.bytes) / Number(disk.rows[0]!.n),
        storedEvents: stored,
        events: totals.records,
        secondsPerMillionRows: (seconds / totals.records) * 1e6,
        walBytesPerRow: (after.walBytes - before.walBytes) / totals.records,
        buffersPerRow: (after.buffers - before.buffers) / totals.records,
      });
    }
    const [first, last] = [steps[0]!, steps.at(-1)!];
    const worstRatio = Math.max(last.secondsPerMillionRows / first.secondsPerMillionRows, last.walBytesPerRow / first.walBytesPerRow, last.buffersPerRow / first.buffersPerRow);
    return { sharedBuffers: SHARED_BUFFERS, steps, worstRatio };
  } finally {
    worker.child.kill('SIGKILL');
    await worker.exited;
    await sandbox.close();
    await database.drop();
    await postgres.stop();
  }
}

async function countEvents(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ n: string }>`select count(*) as n from fullstory_events`.execute(db);
  return Number(rows[0]!.n);
}

/**
 * Copies the first measured day's events (and its sessions) to earlier
 * days, a day's shift per copy, until the table holds `target` rows. Each
 * copy is one statement and commits on its own, as loads do.
 */
async function fillTo(db: Kysely<Database>, target: number, firstDay: number): Promise<void> {
  const perDay = Number((await sql<{ n: string }>`select count(*) as n from fullstory_events where event_start >= ${new Date(firstDay)} and event_start < ${new Date(firstDay + DAY)}`.execute(db)).rows[0]!.n);
  let stored = await countEvents(db);
  const copiesMade = Number((await sql<{ n: string }>`select count(distinct date_trunc('day', event_start)) as n from fullstory_events where event_start < ${new Date(firstDay)}`.execute(db)).rows[0]!.n);
  for (let copy = copiesMade + 1; stored < target; copy++) {
    const shift = `${copy} days`;
    const take = Math.min(perDay, target - stored);
    await sql`
      insert into fullstory_events (org_id, stream, event_start, row_sha256, occurrence, user_id, session_id, page_id, indv_id, event_type, page_url, user_email, raw, raw_original, synced_at)
      select org_id, stream, event_start - ${shift}::interval, row_sha256, occurrence, user_id, session_id, page_id, indv_id, event_type, page_url, user_email, raw, raw_original, synced_at
      from fullstory_events where event_start >= ${new Date(firstDay)} and event_start < ${new Date(firstDay + DAY)}
      limit ${take}`.execute(db);
    await sql`
      insert into fullstory_sessions (org_id, stream, user_id, session_id, session_start, session_end, page_count, event_count, entry_url, exit_url, device, browser, platform, operating_system, uid, email, display_name, updated_at)
      select org_id, stream, user_id, session_id || ':' || ${copy}::text, session_start - ${shift}::interval, session_end - ${shift}::interval, page_count, event_count, entry_url, exit_url, device, browser, platform, operating_system, uid, email, display_name, updated_at
      from fullstory_sessions where session_end >= ${new Date(firstDay)} and session_end < ${new Date(firstDay + DAY)}`.execute(db);
    stored += take;
  }
  await sql`vacuum analyze fullstory_events`.execute(db);
  await sql`vacuum analyze fullstory_sessions`.execute(db);
}

/** The server's WAL position and the database's shared-buffer hits and reads, after the statistics are flushed. */
async function counters(db: Kysely<Database>): Promise<{ walBytes: number; buffers: number }> {
  // Backends flush their statistics within a second of going idle.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const { rows } = await sql<{ wal: string; buffers: string }>`
    select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint as wal,
           (select blks_hit + blks_read from pg_stat_database where datname = current_database()) as buffers`.execute(db);
  return { walBytes: Number(rows[0]!.wal), buffers: Number(rows[0]!.buffers) };
}
