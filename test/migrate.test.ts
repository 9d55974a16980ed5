import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { migrations } from '../migrations/index.js';
import { silentLogger } from './support/silent-logger.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

describe('migrations', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(false);
  });
  afterAll(() => database?.drop());

  it('five workers starting together migrate once, without racing', async () => {
    const handles = Array.from({ length: 5 }, () => connectDatabase({ url: database.url, maxConnections: 2 }));
    try {
      await Promise.all(handles.map((db) => migrateToLatest(db, silentLogger)));
    } finally {
      await Promise.all(handles.map((db) => db.destroy()));
    }
    const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(database.db);
    expect(applied.rows.map((r) => r.name)).toEqual(Object.keys(migrations));
    const tables = await sql<{ tablename: string }>`select tablename from pg_tables t where schemaname = 'public' and tablename not like 'kysely%' and not exists (select from pg_inherits where inhrelid = (schemaname || '.' || tablename)::regclass) order by 1`.execute(database.db);
    expect(tables.rows.map((r) => r.tablename)).toEqual(['credential_checks', 'erasure_suppressions', 'erasures', 'fullsession_longest_sessions', 'fullsession_rejects', 'fullsession_sessions', 'fullstory_events', 'fullstory_individuals', 'fullstory_rejects', 'fullstory_sessions', 'mcp_api_keys', 'mcp_audit', 'rate_budget_grants', 'rate_budget_log', 'rate_budget_pace', 'rate_budget_pauses', 'sync_checkpoints', 'sync_coverage', 'sync_partitions', 'sync_runs', 'sync_watermarks']);
  });
});
