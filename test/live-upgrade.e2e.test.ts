// long-running: builds the previous release from git, then runs its worker and this one through a migration.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FullSessionSandbox } from '../devstack/sandboxes/fullsession/sandbox-server.js';
import { FullStorySandbox } from '../devstack/sandboxes/fullstory/fullstory-sandbox.js';
import { runCli, spawnWorker, waitFor, type WorkerProcess } from '../devstack/session-sync-process.js';
import { storedAndTruth } from './support/compare-with-truth.js';
import { storedFullStoryRows } from './support/fullstory-rows.js';
import { previousReleaseRoot } from '../devstack/previous-release.js';
import { CUSTOMER, MAX_SESSION, newToken, SITE as FULLSESSION_SITE_ID } from './support/sandbox-fixtures.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';
import { tempDir } from './support/temp-dir.js';

const ORG = 'o-7U7-na1';
const KEY = `na1.${randomBytes(24).toString('base64url')}/UPGRADE`;
const DAY = 86_400_000;
const SITE = `${ORG}/events`;
const FULLSESSION_SITE = `${CUSTOMER}/${FULLSESSION_SITE_ID}`;
const TOKEN = newToken();

/**
 * A rolling deploy of this release over the one before it, as users run
 * it: the previous release's build (from git) migrated a database, filled
 * it and is still running a backfill of each source when this release's
 * `migrate` turns fullstory_events and fullsession_sessions into
 * partitioned tables; then this release's worker starts and the old one
 * stops, as a rolling update replaces a pod, until the backfills end.
 */
describe('upgrading a live installation of the release before this one', () => {
  let sandbox: FullStorySandbox;
  let fullSession: FullSessionSandbox;
  let database: TestDatabase;
  let env: Record<string, string>;
  const workers: WorkerProcess[] = [];
  const today = Math.floor(Date.now() / DAY) * DAY;
  const day0 = today - 12 * DAY;
  const day = (at: number) => new Date(at).toISOString();

  beforeAll(async () => {
    sandbox = await FullStorySandbox.start({ orgs: [{ orgId: ORG, eventsPerHour: 300 }], keys: [{ key: KEY, orgId: ORG, role: 'ARCHITECT', email: 'etl@example.com' }], pendingPolls: 2 });
    fullSession = await FullSessionSandbox.start({
      sites: [{ customerId: CUSTOMER, siteId: FULLSESSION_SITE_ID, sessionsPerHour: 30, maxSessionDurationMs: MAX_SESSION }],
      tokens: [{ token: TOKEN, customerId: CUSTOMER, sites: 'all' }],
      activeFrom: day0 - DAY,
      now: today,
      pageSize: 100,
      limitPerMinute: null,
    });
    database = await createTestDatabase(false);
    const configPath = join(tempDir('session-sync-upgrade-'), 'session-sync.yaml');
    writeFileSync(
      configPath,
      `credentials:\n  fs: { kind: fullstory-api-key, secret: { env: FS_KEY } }\n  main: { kind: fullsession-api-token, secret: { env: FUS_TOKEN } }\naccounts:\n  ${ORG}:\n    source: fullstory\n    rateLimitPerMinute: 100000\n    sites:\n      events: { credential: fs, schedule: { cron: "0 0 1 1 *" } }\n` +
        `  ${CUSTOMER}:\n    rateLimitPerMinute: 100000\n    sites:\n      ${FULLSESSION_SITE_ID}: { credential: main, schedule: { cron: "0 0 1 1 *" } }\n`,
    );
    env = {
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: `upgrade-${randomBytes(4).toString('hex')}`,
      SESSION_SYNC_CONFIG: configPath,
      FS_KEY: KEY,
      FUS_TOKEN: TOKEN,
      FULLSESSION_API_URL: fullSession.url,
      // A page the test holds at the sandbox through the migration is still answered.
      FULLSESSION_REQUEST_TIMEOUT: '5m',
      FULLSTORY_API_URL: sandbox.url,
      FULLSTORY_EU_API_URL: sandbox.url,
      FULLSTORY_POLL_INTERVAL: '300ms',
      WORKER_SHUTDOWN_GRACE: '1s',
      METRICS_PORT: '0',
      LOG_LEVEL: 'info',
    };
  });

  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGTERM');
    await Promise.all(workers.map((worker) => worker.exited));
    await database?.drop();
    await sandbox?.close();
    await fullSession?.close();
  });

  const startWorker = async (root?: string) => {
    const worker = spawnWorker(env, root);
    workers.push(worker);
    await waitFor(() => worker.output().includes('"msg":"worker started"') || worker.child.exitCode !== null, 120_000, 'a worker to start');
    expect(worker.child.exitCode, worker.output().slice(-2_000)).toBeNull();
    return worker;
  };
  type Coverage = { watermark: string; gaps: unknown[]; provisional: unknown[]; days: Array<{ day: string; state: string; records: number }> };
  const coverage = async (from: number, to: number, root?: string, site = SITE) => {
    const result = await runCli(['coverage', '--site', site, '--from', day(from), '--to', day(to), '--json'], env, root);
    expect(result.stderr).toBe('');
    return (JSON.parse(result.stdout) as { sites: Coverage[] }).sites[0]!;
  };
  /** What coverage claims of the days themselves (the watermark is the site's, and moves on with later runs). */
  const claims = ({ gaps, provisional, days }: Coverage) => ({ gaps, provisional, days });
  const truth = (from: number, to: number) => sandbox.events(ORG, from, to).map((row) => JSON.stringify(row, Object.keys(row).sort())).sort();
  const stored = async (from: number, to: number) => (await storedFullStoryRows(database.db, ORG, from, to)).map((row) => JSON.stringify(row, Object.keys(row).sort())).sort();

  const sessionsExact = async (from: number, to: number) => {
    const { stored, truth } = await storedAndTruth(database.db, fullSession, from, to);
    expect(Object.keys(truth).length).toBeGreaterThan(0);
    expect(stored).toEqual(truth);
  };
  // A window a day, so that each backfill has windows before and after the migration.
  const backfill = (site: string, from: number, to: number, root?: string) => runCli(['backfill', '--site', site, '--from', day(from), '--to', day(to), '--window', '1d'], env, root);
  const windowsDone = async (source: string) =>
    Number((await sql<{ n: string }>`select count(*) as n from sync_checkpoints where source = ${source} and status = 'done' and window_start >= ${new Date(day0 + 4 * DAY)}`.execute(database.db)).rows[0]!.n);

  it('loses no row and changes no coverage claim, with backfills of the old workers running through the migration', async () => {
    const previous = previousReleaseRoot();
    expect((await runCli(['migrate'], env, previous)).code).toBe(0);
    const oldWorker = await startWorker(previous);
    for (const site of [SITE, FULLSESSION_SITE]) {
      const filled = await backfill(site, day0, day0 + 4 * DAY, previous);
      expect(filled.code, filled.stderr).toBe(0);
    }
    const coveredBefore = await coverage(day0, day0 + 4 * DAY, previous);
    const sessionsCoveredBefore = await coverage(day0, day0 + 4 * DAY, previous, FULLSESSION_SITE);
    const rowsBefore = await stored(day0, day0 + 4 * DAY);
    expect(rowsBefore).toEqual(truth(day0, day0 + 4 * DAY));
    await sessionsExact(day0, day0 + 4 * DAY);

    // The old workers' next backfills are under way when this release migrates.
    // FullSession's is held at the sandbox in its second window's first request, answered only
    // after the migration: the old worker then writes that page into the partitioned table.
    const secondWindow = fullSession.faults.holdNext((request) => request.endTime === day0 + 6 * DAY - 1);
    const running = [backfill(SITE, day0 + 4 * DAY, day0 + 10 * DAY, previous), backfill(FULLSESSION_SITE, day0 + 4 * DAY, day0 + 10 * DAY, previous)];
    await waitFor(async () => (await windowsDone('fullstory')) >= 1, 120_000, 'the running FullStory backfill to load its first window');
    await secondWindow.arrived;
    const migrated = await runCli(['migrate'], env);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stdout + migrated.stderr).toContain('"migration":"20261207000000_partitioned_fullstory_events"');
    expect(migrated.stdout + migrated.stderr).toContain('"migration":"20261208000000_partitioned_fullsession_sessions"');
    expect(await windowsDone('fullstory')).toBeLessThan(6);
    expect(await windowsDone('fullsession')).toBe(1);

    // The held page fails before writing anything; this release's worker joins, then the old one
    // stops, as a rolling update replaces a pod, and the page is retried here.
    secondWindow.release();
    // 42P10: "there is no unique or exclusion constraint matching the ON CONFLICT specification".
    await waitFor(() => oldWorker.output().includes('"code":"42P10"'), 60_000, "the old worker's page to be refused by the partitioned table");
    await startWorker();
    oldWorker.child.kill('SIGTERM');
    await oldWorker.exited;
    for (const finished of await Promise.all(running)) expect(finished.code, finished.stderr).toBe(0);

    expect(await stored(day0, day0 + 10 * DAY)).toEqual(truth(day0, day0 + 10 * DAY));
    await sessionsExact(day0, day0 + 10 * DAY);
    expect(claims(await coverage(day0, day0 + 4 * DAY))).toEqual(claims(coveredBefore));
    expect(claims(await coverage(day0, day0 + 4 * DAY, undefined, FULLSESSION_SITE))).toEqual(claims(sessionsCoveredBefore));
    expect(coveredBefore.days.map((d) => d.state)).toEqual(['complete', 'complete', 'complete', 'complete']);
    expect(sessionsCoveredBefore.days.map((d) => d.state)).toEqual(['complete', 'complete', 'complete', 'complete']);
    const all = await coverage(day0, day0 + 10 * DAY);
    expect(all.days.map((d) => [d.state, d.records])).toEqual(Array.from({ length: 10 }, (_, n) => ['complete', truth(day0 + n * DAY, day0 + (n + 1) * DAY).length]));
    expect(all.watermark).toBe(day(day0 + 10 * DAY));
    const sessionsAll = await coverage(day0, day0 + 10 * DAY, undefined, FULLSESSION_SITE);
    expect(sessionsAll.days.map((d) => [d.state, d.records])).toEqual(Array.from({ length: 10 }, (_, n) => ['complete', fullSession.groundTruth(CUSTOMER, FULLSESSION_SITE_ID, day0 + n * DAY, day0 + (n + 1) * DAY).length]));

    // Each old table is now a partition, with every row it had; the rest of time is partitioned by site.
    for (const [table, key] of [
      ['fullstory_events', 'RANGE (org_id, stream, event_start)'],
      ['fullsession_sessions', 'RANGE (customer_id, site_id, start_time)'],
    ] as const) {
      const layout = await sql<{ name: string; bound: string; partitioned: boolean }>`
        select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound, c.relkind = 'p' as partitioned
        from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = ${table}::regclass order by 1`.execute(database.db);
      const cutover = (await database.db.selectFrom('sync_partitions').select('range_end').where('partition_name', '=', `${table}_legacy`).executeTakeFirstOrThrow()).range_end.getTime();
      expect(cutover).toBeGreaterThan(Date.now() + 6 * DAY);
      expect(layout.rows.map((row) => [row.name, row.partitioned])).toEqual([
        [`${table}_by_site`, true],
        [`${table}_legacy`, false],
      ]);
      expect(layout.rows.every((row) => row.bound !== 'DEFAULT')).toBe(true);
      expect((await sql<{ key: string }>`select pg_get_partkeydef(${`${table}_by_site`}::regclass) as key`.execute(database.db)).rows[0]!.key).toBe(key);
    }
  });
});
