import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { startEmbeddedPostgresProcess } from '../../devstack/embedded-postgres-process.js';
import { createScratchDatabase, type ScratchDatabase } from '../../devstack/scratch-database.js';
import { FullStorySandbox } from '../../devstack/sandboxes/fullstory/fullstory-sandbox.js';
import { syncRangeWorkflow } from '../../workflows/sync-range-workflow.js';
import { BENCH_DENSITY, CUSTOMER, DAY, HOUR, startScenario, T0, type BenchStack } from '../bench-stack.js';
import { loadPhases, startFullStoryBenchWorker } from '../fullstory-bench-worker.js';
import { copyRowsPerSecond } from '../copy-baseline.js';
import { PREVIOUS_RELEASE, previousReleaseRoot } from '../../devstack/previous-release.js';
import { FULLSESSION_SESSIONS_TABLE, FULLSTORY_EVENTS_TABLE, SitePartitions, type PartitionedTable, type PartitionSite } from '../../db/site-partitions.js';
import { applyRetention } from '../../db/partition-retention.js';
import { getSession, searchSessions } from '../../read-model/session-queries.js';
import type { SiteConfig } from '../../config/site-config.js';
import { forgetPerson } from '../../erasure/forget-person.js';
import { ErasureKey } from '../../erasure/erasure-key.js';
import { PERSON_ERASURES } from '../../sources/person-erasures.js';

/** Loads of equal days into a table that already holds `storedRows` rows (before the first of them). */
export interface ScaleStep {
  storedRows: number;
  /** Rows each load stored (every day holds the same number). */
  rows: number;
  /** The best of the loads: the machine's noise only ever adds time. */
  secondsPerMillionRows: number;
  /** Each load's, in order. */
  secondsPerMillionRowsEach: number[];
  /** The load's own WAL, the mean of the loads'. */
  walBytesPerRow: number;
  /** The WAL of the vacuum each load's rows need once (setting every new page all-visible), the mean of the loads'. */
  vacuumWalBytesPerRow: number;
  /** That vacuum's time, the mean of the loads'. */
  vacuumSeconds: number;
  /** Shared buffers hit or read by the database per row loaded (pg_stat_database), the mean of the loads'. */
  buffersPerRow: number;
  /** The table with its indexes and TOAST, per row, after the load: what the copy costs on disk. */
  diskBytesPerRow: number;
  /** Where the loads' WAL went: the relations that took the most of it, per row loaded, the mean of the loads'. */
  walByRelation: WalShare[];
  /** Where the loads' time went, as the worker logged it, seconds per million rows, the mean of the loads' (where the worker says). */
  phaseSecondsPerMillionRows?: Record<string, number>;
}

export interface ScaleSeries {
  table: string;
  /** Which release's worker and layout: this one (partitioned), or the one before (one table). */
  layout: string;
  steps: ScaleStep[];
  /** The worst of the figures at the largest size over the same at the smallest. */
  worstRatio: number;
  /** At the largest size, where the layout has partitions: what retention's daily drop and a reader cost. */
  atLargest?: PartitionedFigures;
}

/** What partitions buy at the largest size. */
export interface PartitionedFigures {
  /** Retention taking the oldest day (record, DETACH CONCURRENTLY, DROP). */
  dropDaySeconds: number;
  /** MCP get_session's reads of one session and its events, 95th percentile of 200. */
  getSessionP95Ms: number;
  /** MCP search_sessions over a day, 95th percentile of 200. */
  searchSessionsP95Ms: number;
  /** The best of the loads' rows a second at that size (from its file download to its commit) over a plain COPY's of the last one's rows into a table like its partition. */
  loadOverCopy: number;
  /** `session-sync forget` of the person with the most events on the day loaded last, by email, over every day stored. */
  erasure: ErasureFigures;
}

export interface ErasureFigures {
  seconds: number;
  identities: number;
  /** Rows deleted, by table. */
  rows: Record<string, number>;
}

export interface ScaleFigure {
  sharedBuffers: string;
  series: ScaleSeries[];
}

/** A table that grows, and how to load a day into it and fill it with earlier days. */
interface GrowingTable {
  table: string;
  layout: string;
  database: ScratchDatabase;
  /** Figures only partitions have, taken after the last load (the day loaded last). */
  atLargest?(day: number): Promise<PartitionedFigures>;
  /** The table or partition that holds the day at `day`. */
  dayRelation(day: number): Promise<string>;
  /** Loads the day at `day` through a real worker; returns the records it stored. */
  load(day: number, to?: number): Promise<number>;
  /** Milliseconds in each phase of the last load, summed over its export files, where the worker logs them. */
  lastLoadPhases?(): Record<string, number>;
  /** Copies the day at `firstDay` to earlier days until the table holds `target` rows. */
  fillTo(target: number, firstDay: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * What the table holds before each measured load: flat cost up to 50M is
 * the goal. 50M rows of these shapes take about 50 GB (1,000 bytes a row
 * with indexes, measured) and WAL besides: BENCH_SCALE_SIZES (e.g.
 * `0,10000000,25000000`) measures less where the disk is smaller.
 */
const SIZES = process.env.BENCH_SCALE_SIZES ? process.env.BENCH_SCALE_SIZES.split(',').map(Number) : [0, 10_000_000, 50_000_000];
/**
 * Loads at each size, each of its own day, every day equal in rows (the
 * sandboxes' steady traffic): wall time on a shared machine moved up to 18%
 * from one load to the next, more than the figure measured.
 */
const LOADS_PER_SIZE = Number(process.env.BENCH_SCALE_LOADS ?? 3);
/** Small on purpose, so that an index of tens of millions of rows no longer fits (TimescaleDB's sizing rule). */
const SHARED_BUFFERS = '128MB';
const FULLSTORY_ORG = 'o-scale-na1';
/** 1,152,000 events in each day's window, every hour the same (steady). */
const EVENTS_PER_HOUR = 48_000;

/** The series measured, by name; BENCH_SCALE_SERIES (comma-separated) chooses some. */
const SERIES: Record<string, (stack: BenchStack) => Promise<GrowingTable>> = {
  'fullstory-partitioned': (stack) => fullStoryEvents(stack, 'partitioned'),
  'fullstory-previous-release': (stack) => fullStoryEvents(stack, 'previous release'),
  'fullsession-partitioned': (stack) => fullSessionSessions(stack, 'partitioned'),
  'fullsession-previous-release': (stack) => fullSessionSessions(stack, 'previous release'),
};

/**
 * `npm run bench -- scale`: the same day loaded by a real worker into a
 * table already holding 0, 10M and 50M rows, on a Postgres of its own with
 * shared_buffers at 128 MB: FullStory's events (a day's window, about a
 * million) by this release into its partitions and by the release before
 * into its one table, in the same run, and FullSession's sessions (a
 * day's pages, 480,000). Wall time, WAL bytes, shared buffers touched and
 * disk bytes per row; where there are partitions, retention's drop of a
 * day, two MCP reads and the load against a plain COPY at the largest
 * size. The rows already there are the first load's, copied to earlier
 * days in SQL, so they are shaped as the real ones. One table at a time:
 * the disk holds one at the largest size, not two.
 */
export async function measureScale(stack: BenchStack, log: (line: string) => void): Promise<ScaleFigure> {
  const names = process.env.BENCH_SCALE_SERIES ? process.env.BENCH_SCALE_SERIES.split(',') : Object.keys(SERIES);
  log(`scale: ${names.join(', ')}: loads into ${SIZES.map((size) => size.toLocaleString('en')).join(', ')} rows, shared_buffers ${SHARED_BUFFERS}`);
  const postgres = await startEmbeddedPostgresProcess({ settings: { shared_buffers: SHARED_BUFFERS, max_wal_size: '4GB', checkpoint_timeout: '30min', wal_keep_size: '8GB', autovacuum: 'off' } });
  const onPostgres = { ...stack, adminDatabaseUrl: postgres.url };
  try {
    const series: ScaleSeries[] = [];
    for (const name of names) {
      const start = SERIES[name];
      if (!start) throw new Error(`BENCH_SCALE_SERIES: no series ${name} (known: ${Object.keys(SERIES).join(', ')})`);
      series.push(await measureGrowth(await start(onPostgres), log));
    }
    return { sharedBuffers: SHARED_BUFFERS, series };
  } finally {
    await postgres.stop();
  }
}

async function measureGrowth(subject: GrowingTable, log: (line: string) => void): Promise<ScaleSeries> {
  const db = subject.database.db;
  try {
    // One hour of the day before, so that the first measured load does not also pay for a cold worker and server.
    await subject.load(T0 - DAY, T0 - DAY + HOUR);
    const steps: ScaleStep[] = [];
    for (const [index, size] of SIZES.entries()) {
      if (size > 0) {
        log(`scale: filling ${subject.table} to ${size.toLocaleString('en')} rows`);
        await subject.fillTo(size, T0);
      }
      // Whatever earlier loads and the fill left to vacuum (autovacuum is off), so that no load pays for another's.
      await sql`vacuum analyze`.execute(db);
      const storedRows = await countRows(db, subject.table);
      const loads: LoadFigures[] = [];
      for (let load = 0, holding = storedRows; load < LOADS_PER_SIZE; load++, holding += loads.at(-1)!.rows) {
        // Measured days lie after the first: the copies fill the days before T0.
        const day = T0 + (index * LOADS_PER_SIZE + load) * DAY;
        log(`scale: loading the day ${new Date(day).toISOString().slice(0, 10)} into ${subject.table} holding ${holding.toLocaleString('en')} rows`);
        loads.push(await measureLoad(subject, day));
      }
      const mean = (figure: (load: LoadFigures) => number) => loads.reduce((sum, load) => sum + figure(load), 0) / loads.length;
      const each = loads.map((load) => (load.seconds / load.rows) * 1e6);
      // A partitioned table's own size is 0: its partitions hold the rows (a plain table has no tree).
      const { rows: disk } = await sql<{ bytes: string }>`select coalesce((select sum(pg_total_relation_size(relid)) from pg_partition_tree(${subject.table})), pg_total_relation_size(${subject.table})) as bytes`.execute(db);
      steps.push({
        storedRows,
        rows: loads[0]!.rows,
        secondsPerMillionRows: Math.min(...each),
        secondsPerMillionRowsEach: each,
        walBytesPerRow: mean((load) => load.walBytes / load.rows),
        vacuumWalBytesPerRow: mean((load) => load.vacuumWalBytes / load.rows),
        vacuumSeconds: mean((load) => load.vacuumSeconds),
        buffersPerRow: mean((load) => load.buffers / load.rows),
        diskBytesPerRow: Number(disk[0]!.bytes) / (await countRows(db, subject.table)),
        walByRelation: meanWalShares(loads),
        ...meanPhases(loads),
      });
      log(`scale: WAL per row by relation at ${size.toLocaleString('en')}: ${steps.at(-1)!.walByRelation.map((share) => `${share.relation} ${share.bytesPerRow.toFixed(0)} (whole pages ${share.wholePageBytesPerRow.toFixed(0)})`).join(', ')}`);
      const phases = steps.at(-1)!.phaseSecondsPerMillionRows;
      if (phases) log(`scale: load phases at ${size.toLocaleString('en')}, seconds per million rows: ${Object.entries(phases).map(([phase, s]) => `${phase} ${s.toFixed(1)}`).join(', ')}`);
    }
    const [first, last] = [steps[0]!, steps.at(-1)!];
    const worstRatio = Math.max(
      last.secondsPerMillionRows / first.secondsPerMillionRows,
      last.walBytesPerRow / first.walBytesPerRow,
      last.vacuumWalBytesPerRow / first.vacuumWalBytesPerRow,
      last.buffersPerRow / first.buffersPerRow,
    );
    const lastDay = T0 + (SIZES.length * LOADS_PER_SIZE - 1) * DAY;
    const atLargest = subject.atLargest ? await subject.atLargest(lastDay) : undefined;
    return { table: subject.table, layout: subject.layout, steps, worstRatio, ...(atLargest ? { atLargest } : {}) };
  } finally {
    await subject.close();
  }
}

interface LoadFigures {
  rows: number;
  seconds: number;
  phaseMs?: Record<string, number>;
  walBytes: number;
  buffers: number;
  walByRelation: RelationWal[];
  vacuumWalBytes: number;
  vacuumSeconds: number;
}

/**
 * One day loaded through the worker: its rows, wall time, WAL and shared
 * buffers touched; then the vacuum its rows need once, on its own. A
 * checkpoint first: after one, the first change to each page writes the
 * whole page to the WAL, so every load pays for the pages it touches
 * rather than for where the server's own checkpoints fell. Autovacuum is
 * off on the bench's server: it vacuumed the day before's partition
 * during whichever load it fell into (200 to 400 WAL bytes a row, all
 * whole pages, in some loads and not others: pg_walinspect), which made
 * the partitions' WAL at 50M 1.06×, 1.16× and 1.30× in three runs; each
 * load's own vacuum is run after it and counted apart.
 */
async function measureLoad(subject: GrowingTable, day: number): Promise<LoadFigures> {
  const db = subject.database.db;
  await sql`checkpoint`.execute(db);
  const before = await counters(db);
  const started = performance.now();
  const rows = await subject.load(day);
  const seconds = (performance.now() - started) / 1000;
  const phaseMs = subject.lastLoadPhases?.();
  const after = await counters(db);
  const walByRelation = await walByRelationBetween(db, before.lsn, after.lsn, day);
  const vacuumStarted = performance.now();
  await sql`vacuum`.execute(db);
  await sql`analyze ${sql.table(await subject.dayRelation(day))}`.execute(db);
  const vacuumSeconds = (performance.now() - vacuumStarted) / 1000;
  const vacuumed = await counters(db);
  return { rows, seconds, ...(phaseMs ? { phaseMs } : {}), walBytes: after.walBytes - before.walBytes, buffers: after.buffers - before.buffers, walByRelation, vacuumWalBytes: vacuumed.walBytes - after.walBytes, vacuumSeconds };
}

/** The loads' phases in seconds per million rows, each the mean of the loads': none where the worker did not say. */
function meanPhases(loads: LoadFigures[]): Pick<ScaleStep, 'phaseSecondsPerMillionRows'> {
  if (!loads.every((load) => load.phaseMs)) return {};
  const sums: Record<string, number> = {};
  for (const load of loads) for (const [phase, ms] of Object.entries(load.phaseMs!)) sums[phase] = (sums[phase] ?? 0) + (ms / 1000 / load.rows) * 1e6;
  return { phaseSecondsPerMillionRows: Object.fromEntries(Object.entries(sums).map(([phase, sum]) => [phase, sum / loads.length])) };
}

/**
 * FullStory's events, loaded from the sandbox's export by a real worker:
 * this release's into its per-site partitions (the fill makes each earlier
 * day's partition first, as workers do), or the release before's into its
 * one table (its own build, from git, migrating its own database).
 */
async function fullStoryEvents(stack: BenchStack, layout: 'partitioned' | 'previous release'): Promise<GrowingTable> {
  const previous = layout === 'previous release' ? previousReleaseRoot() : undefined;
  const database = await createScratchDatabase(stack.adminDatabaseUrl, { prefix: 'session_sync_scale', migrate: previous === undefined });
  const key = `na1.${randomBytes(24).toString('base64url')}/SCALEKY`;
  const sandbox = await FullStorySandbox.start({ orgs: [{ orgId: FULLSTORY_ORG, eventsPerHour: EVENTS_PER_HOUR, steady: true }], keys: [{ key, orgId: FULLSTORY_ORG, role: 'ARCHITECT', email: 'bench@example.com' }], pendingPolls: 1 });
  const taskQueue = `bench-scale-fullstory-${Date.now()}`;
  const { worker } = await startFullStoryBenchWorker(stack, database, sandbox, { orgId: FULLSTORY_ORG, key, taskQueue, sites: '      events: { credential: bench, sync: { window: 24h } }', pollInterval: '1s', ...(previous ? { root: previous } : {}) });
  const site = { customerId: FULLSTORY_ORG, siteId: 'events' };
  const partitions = new SitePartitions(database.db);
  const loadsSeen: Array<{ seconds: number; rows: number }> = [];
  // Export files the worker had loaded when the last load began: its phases are those logged since.
  let filesBeforeLoad = 0;
  return {
    table: 'fullstory_events',
    layout: layout === 'partitioned' ? 'this release, partitioned by site and day' : `the release before (${PREVIOUS_RELEASE.slice(0, 7)}), one table`,
    database,
    dayRelation: (day) => (layout === 'partitioned' ? partitionHolding(partitions, FULLSTORY_EVENTS_TABLE, site, day) : Promise.resolve('fullstory_events')),
    async load(day, to = day + DAY) {
      filesBeforeLoad = loadPhases(worker).length;
      const handle = await stack.client.workflow.start(syncRangeWorkflow, {
        workflowId: `bench-scale-fullstory-${day}-${Date.now()}`,
        taskQueue,
        args: [{ site: { source: 'fullstory', customerId: FULLSTORY_ORG, siteId: 'events', credentialName: 'bench' }, from: day, to, windowMs: DAY, lookbackMs: 0, force: false, kind: 'backfill' }],
      });
      const rows = (await handle.result()).records;
      loadsSeen.push({ seconds: (Date.now() - lastDownloadStart(sandbox)) / 1000, rows });
      return rows;
    },
    lastLoadPhases() {
      const sums: Record<string, number> = {};
      for (const phases of loadPhases(worker).slice(filesBeforeLoad)) for (const [phase, ms] of Object.entries(phases)) sums[phase] = (sums[phase] ?? 0) + ms;
      return sums;
    },
    fillTo: (target, firstDay) =>
      copyDays(database.db, 'fullstory_events', 'event_start', target, firstDay, async (shift, copy, take) => {
        if (layout === 'partitioned') await partitions.ensure(FULLSTORY_EVENTS_TABLE, site, '1d', { start: firstDay - copy * DAY, end: firstDay - (copy - 1) * DAY });
        // This release keys each event's session (and partitions sessions by it); the release before keeps no key.
        const keyed = layout === 'partitioned';
        await sql`
          insert into fullstory_events (org_id, stream, event_start, row_sha256, occurrence, user_id, session_id, page_id, indv_id, event_type, page_url, user_email, raw, raw_original, synced_at${sql.raw(keyed ? ', session_started_at' : '')})
          select org_id, stream, event_start - ${shift}::interval, row_sha256, occurrence, user_id, session_id, page_id, indv_id, event_type, page_url, user_email, raw, raw_original, synced_at${keyed ? sql`, session_started_at - ${shift}::interval` : sql``}
          from fullstory_events where event_start >= ${new Date(firstDay)} and event_start < ${new Date(firstDay + DAY)}
          limit ${take}`.execute(database.db);
        await sql`
          insert into fullstory_sessions (org_id, stream, user_id, session_id, session_start, session_end, page_count, event_count, entry_url, exit_url, device, browser, platform, operating_system, uid, email, display_name, updated_at${sql.raw(keyed ? ', started_at' : '')})
          select org_id, stream, user_id, session_id || ':' || ${copy}::text, session_start - ${shift}::interval, session_end - ${shift}::interval, page_count, event_count, entry_url, exit_url, device, browser, platform, operating_system, uid, email, display_name, updated_at${keyed ? sql`, started_at - ${shift}::interval` : sql``}
          from fullstory_sessions where session_end >= ${new Date(firstDay)} and session_end < ${new Date(firstDay + DAY)}`.execute(database.db);
      }),
    ...(layout === 'partitioned' ? { atLargest: (day: number) => partitionedFigures(database, site, day, loadsSeen.slice(-LOADS_PER_SIZE)) } : {}),
    async close() {
      worker.child.kill('SIGKILL');
      await worker.exited;
      await sandbox.close();
      await database.drop();
    },
  };
}

/** When the worker last asked for an export file: a load starts there. */
function lastDownloadStart(sandbox: FullStorySandbox): number {
  const download = sandbox.requests.filter((request) => request.path.startsWith('/_files/')).at(-1);
  if (!download) throw new Error('the worker never downloaded an export file');
  return download.at;
}

/**
 * At the largest size: retention's drop of the oldest day, MCP's two
 * reads (200 calls each, p95) and the best of the loads at that size
 * against a plain COPY of the last one's rows into a table like its partition.
 */
async function partitionedFigures(database: ScratchDatabase, site: { customerId: string; siteId: string }, day: number, loads: Array<{ seconds: number; rows: number }>): Promise<PartitionedFigures> {
  const db = database.db;
  // The oldest day's events and the oldest day's sessions: what a day's retention drops.
  const oldest = async (table: string) => {
    const row = await db.selectFrom('sync_partitions').select(['partition_name', 'range_start', 'range_end']).where('parent_table', '=', table).where('customer_id', '=', site.customerId).orderBy('range_start').executeTakeFirstOrThrow();
    return { name: row.partition_name, range: { start: row.range_start!.getTime(), end: row.range_end.getTime() }, rows: 0 };
  };
  const retention = { table: FULLSTORY_EVENTS_TABLE, site, retentionMs: 1, action: 'dropped' as const };
  const events = await oldest('fullstory_events');
  const plan = { horizon: events.range.end, partitions: [events], keptBeforePartitioning: null, derived: [await oldest('fullstory_sessions')] };
  const dropStarted = performance.now();
  await applyRetention(db, retention, plan);
  const dropDaySeconds = (performance.now() - dropStarted) / 1000;
  const config = { source: 'fullstory', customerId: site.customerId, siteId: site.siteId } as SiteConfig;
  const sessions = await db.selectFrom('fullstory_sessions').select(['user_id', 'session_id']).where('session_end', '>=', new Date(day)).where('session_end', '<', new Date(day + DAY)).orderBy('session_id').limit(200).execute();
  const getSessionP95Ms = await p95(sessions.map((session) => () => getSession(db, config, `${session.user_id}:${session.session_id}`, 100, 0)));
  const searchSessionsP95Ms = await p95(Array.from({ length: 200 }, (_, n) => () => searchSessions(db, config, { from: day + (n % 24) * HOUR, to: day + DAY }, {}, 50, null)));
  const partition = await new SitePartitions(db).holding(FULLSTORY_EVENTS_TABLE, site, { start: day, end: day + DAY });
  const copyPerSecond = await copyRowsPerSecond(database.url, partition as 'fullstory_events');
  const bestPerSecond = Math.max(...loads.map((load) => load.rows / load.seconds));
  return { dropDaySeconds, getSessionP95Ms, searchSessionsP95Ms, loadOverCopy: bestPerSecond / copyPerSecond, erasure: await measureErasure(db, site.customerId, day) };
}

/**
 * Forgets the person with the most events on `day`, by email, as
 * `session-sync forget` does. The fill copied that day's people to every
 * earlier day, so they are in every partition: the deletes' worst case.
 */
async function measureErasure(db: Kysely<Database>, customerId: string, day: number): Promise<ErasureFigures> {
  const { rows } = await sql<{ email: string }>`
    select user_email as email from fullstory_events
    where org_id = ${customerId} and event_start >= ${new Date(day)} and event_start < ${new Date(day + DAY)} and user_email is not null
    group by 1 order by count(*) desc limit 1`.execute(db);
  const email = rows[0]?.email;
  if (!email) throw new Error(`no event of ${new Date(day).toISOString()} has an email to erase`);
  const started = performance.now();
  const report = await forgetPerson(db, new ErasureKey(randomBytes(32).toString('base64')), PERSON_ERASURES['fullstory']!, { customerId, source: 'fullstory', requestedBy: 'email', value: email, dryRun: false });
  return { seconds: (performance.now() - started) / 1000, identities: report.identities, rows: report.rows };
}

/** The 95th percentile of the calls' times, in milliseconds, one call at a time. */
async function p95(calls: Array<() => Promise<unknown>>): Promise<number> {
  const times: number[] = [];
  for (const call of calls) {
    const started = performance.now();
    await call();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length * 0.95)] ?? 0;
}

/**
 * FullSession's sessions, paged from the sandbox by a real worker (20,000
 * sessions an hour): this release's into its per-site partitions by start
 * (the fill makes each earlier day's partitions first, as workers do), or
 * the release before's into its one table (its own build, from git).
 */
async function fullSessionSessions(stack: BenchStack, layout: 'partitioned' | 'previous release'): Promise<GrowingTable> {
  const previous = layout === 'previous release' ? previousReleaseRoot() : undefined;
  const scenario = await startScenario(stack, 'scale', ['site-1'], { limitPerMinute: null, ratePerMinute: 1_000_000, profile: { ...BENCH_DENSITY, steady: true }, ...(previous ? { root: previous } : {}) });
  await scenario.startWorkers(1);
  const partitions = new SitePartitions(scenario.database.db);
  const site = { customerId: CUSTOMER, siteId: 'site-1' };
  return {
    table: 'fullsession_sessions',
    layout: layout === 'partitioned' ? 'this release, partitioned by site and day of start' : `the release before (${PREVIOUS_RELEASE.slice(0, 7)}), one table`,
    database: scenario.database,
    dayRelation: (day) => (layout === 'partitioned' ? partitionHolding(partitions, FULLSESSION_SESSIONS_TABLE, site, day) : Promise.resolve('fullsession_sessions')),
    load: async (day, to = day + DAY) => (await scenario.backfill('site-1', day, to)).records,
    // Each copy takes new session ids, as new sessions would; its sessions may start the day before the one they end on.
    fillTo: (target, firstDay) =>
      copyDays(scenario.database.db, 'fullsession_sessions', 'end_time', target, firstDay, async (shift, copy, take) => {
        if (layout === 'partitioned') await partitions.ensure(FULLSESSION_SESSIONS_TABLE, site, '1d', { start: firstDay - (copy + 1) * DAY, end: firstDay - (copy - 1) * DAY });
        await sql`
          insert into fullsession_sessions (customer_id, site_id, session_id, user_id, start_time, end_time, duration_ms, active_time_ms, country, country_code, city, os, browser, browser_full_version, device, referrer, landing_page, exit_page, page_count, payload, payload_original, first_synced_at, last_synced_at)
          select customer_id, site_id, session_id || '-' || ${copy}::text, user_id, start_time - ${shift}::interval, end_time - ${shift}::interval, duration_ms, active_time_ms, country, country_code, city, os, browser, browser_full_version, device, referrer, landing_page, exit_page, page_count, payload, payload_original, first_synced_at, last_synced_at
          from fullsession_sessions where end_time >= ${new Date(firstDay)} and end_time < ${new Date(firstDay + DAY)}
          limit ${take}`.execute(scenario.database.db);
      }),
    close: () => scenario.close(),
  };
}

/** The partition of `table` that holds the day at `day`, which a load has made. */
async function partitionHolding(partitions: SitePartitions, table: PartitionedTable, site: PartitionSite, day: number): Promise<string> {
  const name = await partitions.holding(table, site, { start: day, end: day + DAY });
  if (!name) throw new Error(`no partition of ${table.name} holds ${new Date(day).toISOString()}`);
  return name;
}

/**
 * Copies the day at `firstDay` to earlier days, one day's shift per copy,
 * until `table` holds `target` rows; each copy is its own statement and
 * commit, as loads are. Days already before `firstDay` (the warm-up, earlier
 * fills) are skipped.
 */
async function copyDays(db: Kysely<Database>, table: string, timeColumn: string, target: number, firstDay: number, copy: (shift: string, copy: number, take: number) => Promise<void>): Promise<void> {
  const inDay = sql<{ n: string }>`select count(*) as n from ${sql.table(table)} where ${sql.ref(timeColumn)} >= ${new Date(firstDay)} and ${sql.ref(timeColumn)} < ${new Date(firstDay + DAY)}`;
  const perDay = Number((await inDay.execute(db)).rows[0]!.n);
  const daysBefore = sql<{ n: string }>`select count(distinct date_trunc('day', ${sql.ref(timeColumn)})) as n from ${sql.table(table)} where ${sql.ref(timeColumn)} < ${new Date(firstDay)}`;
  let stored = await countRows(db, table);
  for (let n = Number((await daysBefore.execute(db)).rows[0]!.n) + 1; stored < target; n++) {
    const take = Math.min(perDay, target - stored);
    await copy(`${n} days`, n, take);
    stored += take;
  }
}

async function countRows(db: Kysely<Database>, table: string): Promise<number> {
  const { rows } = await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(db);
  return Number(rows[0]!.n);
}

/** The server's WAL position and the database's shared-buffer hits and reads, after the statistics are flushed. */
async function counters(db: Kysely<Database>): Promise<{ walBytes: number; buffers: number; lsn: string }> {
  // Backends flush their statistics within a second of going idle.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const { rows } = await sql<{ wal: string; buffers: string; lsn: string }>`
    select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint as wal, pg_current_wal_lsn()::text as lsn,
           (select blks_hit + blks_read from pg_stat_database where datname = current_database()) as buffers`.execute(db);
  return { walBytes: Number(rows[0]!.wal), buffers: Number(rows[0]!.buffers), lsn: rows[0]!.lsn };
}

/** A relation's WAL in one load: the bytes of its blocks' changes and whole-page images. */
interface RelationWal {
  relation: string;
  bytes: number;
  wholePageBytes: number;
}

/** A relation's share of the loads' WAL, per row loaded. */
export interface WalShare {
  relation: string;
  bytesPerRow: number;
  wholePageBytesPerRow: number;
}

/** How many relations a step names: the rest of the WAL is small beside them. */
const WAL_RELATIONS_SHOWN = 6;

/**
 * The WAL between two positions by the relation its blocks belong to
 * (pg_walinspect): block data and whole-page images, the records' own
 * data left out. A partition goes by its parent's name (an index's by
 * its partitioned index's) and `[day loaded]` or `[other day]`, so the
 * loads of different days add up.
 * Needs the WAL still on disk: the bench's server keeps it (wal_keep_size).
 */
async function walByRelationBetween(db: Kysely<Database>, from: string, to: string, day: number): Promise<RelationWal[]> {
  await sql`create extension if not exists pg_walinspect`.execute(db);
  const dayLoaded = new Date(day).toISOString().slice(0, 10).replaceAll('-', '');
  const { rows } = await sql<{ relation: string; bytes: string; whole_page_bytes: string }>`
    with blocks as (
      select pg_filenode_relation(reltablespace, relfilenode) as oid, relfilenode,
             sum(block_data_length + block_fpi_length) as bytes, sum(block_fpi_length) as whole_page_bytes
      from pg_get_wal_block_info(${from}::pg_lsn, ${to}::pg_lsn, false) group by 1, 2
    ), named as (
      select b.*, coalesce(parent.relname, c.relname, 'relfilenode ' || b.relfilenode) as base,
             coalesce((select t.relname from pg_index i join pg_class t on t.oid = i.indrelid where i.indexrelid = c.oid), c.relname) as table_name
      from blocks b left join pg_class c on c.oid = b.oid
      left join pg_inherits h on h.inhrelid = c.oid left join pg_class parent on parent.oid = h.inhparent
    )
    select base || case when table_name ~ ${`_[0-9a-f]{10}_${dayLoaded}$`} then ' [day loaded]' when table_name ~ '_[0-9a-f]{10}_[0-9]{8}$' then ' [other day]' else '' end as relation,
           sum(bytes)::bigint as bytes, sum(whole_page_bytes)::bigint as whole_page_bytes
    from named group by 1 order by 2 desc`.execute(db);
  return rows.map((row) => ({ relation: row.relation, bytes: Number(row.bytes), wholePageBytes: Number(row.whole_page_bytes) }));
}

/** Each relation's WAL per row, the mean over the loads; the largest first. */
function meanWalShares(loads: LoadFigures[]): WalShare[] {
  const shares = new Map<string, WalShare>();
  for (const load of loads) {
    for (const { relation, bytes, wholePageBytes } of load.walByRelation) {
      const share = shares.get(relation) ?? { relation, bytesPerRow: 0, wholePageBytesPerRow: 0 };
      share.bytesPerRow += bytes / load.rows / loads.length;
      share.wholePageBytesPerRow += wholePageBytes / load.rows / loads.length;
      shares.set(relation, share);
    }
  }
  return [...shares.values()].sort((a, b) => b.bytesPerRow - a.bytesPerRow).slice(0, WAL_RELATIONS_SHOWN);
}
