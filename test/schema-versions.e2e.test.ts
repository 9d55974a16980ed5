import { randomBytes } from 'node:crypto';
import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../devstack/session-sync-process.js';
import { migrations } from '../migrations/index.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const NEWER = '29991231000000_from_a_newer_release';

/** Deploys roll forward and back, and some operators get a role that may only read. */
describe('database roles and schema versions', () => {
  let database: TestDatabase;
  let unmigrated: TestDatabase;
  const role = `session_sync_reader_${randomBytes(4).toString('hex')}`;
  let readerUrl: string;
  const env = (databaseUrl: string) => ({
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: `schema-${role}`,
    FULLSESSION_CUSTOMER_ID: 'cust-1',
    FULLSESSION_SITE_IDS: 'site-a',
    FULLSESSION_API_TOKEN: 'fus_readonlyrole0123456789',
    LOG_LEVEL: 'info',
  });

  beforeAll(async () => {
    [database, unmigrated] = await Promise.all([createTestDatabase(), createTestDatabase(false)]);
    const name = new URL(database.url).pathname.slice(1);
    await sql.raw(`create role ${role} login password 'reader'`).execute(database.db);
    await sql.raw(`grant connect on database ${name} to ${role}; grant usage on schema public to ${role}; grant select on all tables in schema public to ${role}`).execute(database.db);
    const url = new URL(database.url);
    url.username = role;
    url.password = 'reader';
    readerUrl = url.toString();
  });

  afterAll(async () => {
    // Roles belong to the whole server: this one goes before its database does.
    const name = new URL(database.url).pathname.slice(1);
    await sql.raw(`revoke connect on database ${name} from ${role}; drop owned by ${role}; drop role ${role}`).execute(database.db);
    await database.drop();
    await unmigrated?.drop();
  });

  it('status and credentials list need nothing but SELECT', async () => {
    const status = await runCli(['status', '--json'], env(readerUrl));
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).sites.map((site: { siteId: string }) => site.siteId)).toEqual(['site-a']);
    const list = await runCli(['credentials', 'list'], env(readerUrl));
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^FULLSESSION_API_TOKEN\s+fullsession-api-token\s+fus_\*\*\*\*789\s+env FULLSESSION_API_TOKEN\s+cust-1\/site-a\s+never\s/m);
  });

  it('a release one behind runs on a newer schema, with a warning, and migrate leaves it alone', async () => {
    await sql`insert into kysely_migration (name, timestamp) values (${NEWER}, ${new Date().toISOString()})`.execute(database.db);
    try {
      const status = await runCli(['status'], env(readerUrl));
      expect(status.code).toBe(0);
      expect(status.stderr).toContain(`the database schema is newer than this release (it has run ${NEWER}); running on it unchanged, as migrations only add`);
      const migrate = await runCli(['migrate'], env(database.url));
      expect(migrate.code).toBe(0);
      expect(migrate.stdout + migrate.stderr).not.toContain('corrupted migrations');
      expect(migrate.stderr).toContain(`"newerMigrations":["${NEWER}"]`);
    } finally {
      await sql`delete from kysely_migration where name = ${NEWER}`.execute(database.db);
    }
  });

  it('an empty database, or a schema older than the release, is refused by reading commands, which say how to fix it', async () => {
    const empty = await runCli(['status'], env(unmigrated.url));
    expect([empty.code, empty.stderr]).toEqual([2, 'session-sync: the database has no session-sync tables yet: run `session-sync migrate` with a role that may change the schema, then try again\n']);
    // A site that is not configured is the first thing to fix, and needs no database to say.
    const unknownSite = await runCli(['check', '--site', 'nosuch'], env(unmigrated.url));
    expect([unknownSite.code, unknownSite.stderr]).toEqual([2, 'session-sync: site "nosuch" is not configured (FULLSESSION_SITE_IDS has: cust-1/site-a)\n']);
    const names = Object.keys(migrations);
    const partial = await new Migrator({ db: unmigrated.db, provider: { getMigrations: async () => migrations } }).migrateTo(names.at(-3)!);
    expect(partial.error).toBeUndefined();
    const older = await runCli(['status'], env(unmigrated.url));
    expect([older.code, older.stderr]).toEqual([2, `session-sync: the database schema is older than this release (2 migrations to run, the first ${names.at(-2)}); run \`session-sync migrate\` with a role that may change the schema, then try again\n`]);
  });
});
