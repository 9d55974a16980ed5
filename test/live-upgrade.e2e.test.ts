// long-running: builds the previous release from git, then runs its worker and this one through a migration.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FullStorySandbox } from '../devstack/sandboxes/fullstory/fullstory-sandbox.js';
import { runCli, spawnWorker, waitFor, type WorkerProcess } from '../devstack/session-sync-process.js';
import { storedFullStoryRows } from './support/fullstory-rows.js';
import { previousReleaseRoot } from '../devstack/previous-release.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';
import { tempDir } from './support/temp-dir.js';

const ORG = 'o-7U7-na1';
const KEY = `na1.${randomBytes(24).toString('base64url')}/UPGRADE`;
const DAY = 86_400_000;
const SITE = `${ORG}/events`;

/**
 * A rolling deploy of this release over the one before it, as users run
 * it: the previous release's build (from git) migrated a database, filled
 * it and is still running a backfill when this release's `migrate` turns
 * fullstory_events into a partitioned table; then workers of both
 * releases run side by side until the backfill ends.
 */
describe('upgrading a live installation of the release before this one', () => {
  let sandbox: FullStorySandbox;
  let database: TestDatabase;
  let env: Record<string, string>;
  const workers: WorkerProcess[] = [];
  const today = Math.floor(Date.now() / DAY) * DAY;
  const day0 = today - 12 * DAY;
  const day = (at: number) => new Date(at).toISOString();

  beforeAll(async () => {
    sandbox = await FullStorySandbox.start({ orgs: [{ orgId: ORG, eventsPerHour: 300 }], keys: [{ key: KEY, orgId: ORG, role: 'ARCHITECT', email: 'etl@example.com' }], pendingPolls: 2 });
    database = await createTestDatabase(false);
    const configPath = join(tempDir('session-sync-upgrade-'), 'session-sync.yaml');
    writeFileSync(
      configPath,
      `credentials:\n  fs: { kind: fullstory-api-key, secret: { env: FS_KEY } }\naccounts:\n  ${ORG}:\n    source: fullstory\n    rateLimitPerMinute: 100000\n    sites:\n      events: { credential: fs, schedule: { cron: "0 0 1 1 *" } }\n`,
    );
    env = {
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: `upgrade-${randomBytes(4).toString('hex')}`,
      SESSION_SYNC_CONFIG: configPath,
      FS_KEY: KEY,
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
  });

  const startWorker = async (root?: string) => {
    const worker = spawnWorker(env, root);
    workers.push(worker);
    await waitFor(() => worker.output().includes('"msg":"worker started"') || worker.child.exitCode !== null, 120_000, 'a worker to start');
    expect(worker.child.exitCode, worker.output().slice(-2_000)).toBeNull();
    return worker;
  };
  type Coverage = { watermark: string; gaps: unknown[]; provisional: unknown[]; days: Array<{ day: string; state: string; records: number }> };
  const coverage = async (from: number, to: number, root?: string) => {
    const result = await runCli(['coverage', '--site', SITE, '--from', day(from), '--to', day(to), '--json'], env, root);
    expect(result.stderr).toBe('');
    return (JSON.parse(result.stdout) as { sites: Coverage[] }).sites[0]!;
  };
  /** What coverage claims of the days themselves (the watermark is the site's, and moves on with later runs). */
  const claims = ({ gaps, provisional, days }: Coverage) => ({ gaps, provisional, days });
  const truth = (from: number, to: number) => sandbox.events(ORG, from, to).map((row) => JSON.stringify(row, Object.keys(row).sort())).sort();
  const stored = async (from: number, to: number) => (await storedFullStoryRows(database.db, ORG, from, to)).map((row) => JSON.stringify(row, Object.keys(row).sort())).sort();

  it('loses no row and changes no coverage claim, with a backfill of the old workers running through the migration', async () => {
    const previous = previousReleaseRoot();
    expect((await runCli(['migrate'], env, previous)).code).toBe(0);
    await startWorker(previous);
    const filled = await runCli(['backfill', '--site', SITE, '--from', day(day0), '--to', day(day0 + 4 * DAY)], env, previous);
    expect(filled.code, filled.stderr).toBe(0);
    const coveredBefore = await coverage(day0, day0 + 4 * DAY, previous);
    const rowsBefore = await stored(day0, day0 + 4 * DAY);
    expect(rowsBefore).toEqual(truth(day0, day0 + 4 * DAY));

    // The old workers' next backfill is under way when this release migrates.
    const running = runCli(['backfill', '--site', SITE, '--from', day(day0 + 4 * DAY), '--to', day(day0 + 10 * DAY)], env, previous);
    const windowsDone = async () => Number((await sql<{ n: string }>`select count(*) as n from sync_checkpoints where status = 'done' and window_start >= ${new Date(day0 + 4 * DAY)}`.execute(database.db)).rows[0]!.n);
    await waitFor(async () => (await windowsDone()) >= 1, 120_000, 'the running backfill to load its first window');
    const migrated = await runCli(['migrate'], env);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stdout + migrated.stderr).toContain('"migration":"20261207000000_partitioned_fullstory_events"');
    expect(await windowsDone()).toBeLessThan(6);

    // This release's workers join the old ones, as a rolling deploy does, until the backfill ends.
    await startWorker();
    const finished = await running;
    expect(finished.code, finished.stderr).toBe(0);

    expect(await stored(day0, day0 + 10 * DAY)).toEqual(truth(day0, day0 + 10 * DAY));
    expect(claims(await coverage(day0, day0 + 4 * DAY))).toEqual(claims(coveredBefore));
    expect(coveredBefore.days.map((d) => d.state)).toEqual(['complete', 'complete', 'complete', 'complete']);
    const all = await coverage(day0, day0 + 10 * DAY);
    expect(all.days.map((d) => [d.state, d.records])).toEqual(Array.from({ length: 10 }, (_, n) => ['complete', truth(day0 + n * DAY, day0 + (n + 1) * DAY).length]));
    expect(all.watermark).toBe(day(day0 + 10 * DAY));

    // The old table is now a partition, with every row it had; the rest of time is partitioned by site.
    const layout = await sql<{ name: string; bound: string; partitioned: boolean }>`
      select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound, c.relkind = 'p' as partitioned
      from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'fullstory_events'::regclass order by 1`.execute(database.db);
    const cutover = (await database.db.selectFrom('sync_partitions').select('range_end').where('partition_name', '=', 'fullstory_events_legacy').executeTakeFirstOrThrow()).range_end.getTime();
    expect(cutover).toBeGreaterThan(Date.now() + 6 * DAY);
    expect(layout.rows.map((row) => [row.name, row.partitioned])).toEqual([
      ['fullstory_events_by_site', true],
      ['fullstory_events_legacy', false],
    ]);
    expect(layout.rows.every((row) => row.bound !== 'DEFAULT')).toBe(true);
    expect((await sql<{ key: string }>`select pg_get_partkeydef('fullstory_events_by_site'::regclass) as key`.execute(database.db)).rows[0]!.key).toBe('RANGE (org_id, stream, event_start)');
  });
});
