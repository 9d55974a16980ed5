import { sql, type Kysely } from 'kysely';

/** The role the MCP server reads the copy as (mcp/read-only-transaction.ts); names must match there. */
const READER = 'session_sync_mcp_reader';
/** What the reader may see: the synced records and what says how complete they are. Never keys, audit, budgets or checkpoints. */
const READABLE = ['fullsession_sessions', 'fullstory_sessions', 'fullstory_events', 'fullstory_individuals', 'sync_coverage', 'sync_runs', 'sync_watermarks'];

// Frozen in time: a migration never imports application code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // MCP API keys: only a keyed hash of each key is stored, with the 7
  // characters after its last `/` to recognise it by (as FullStory's keys).
  await db.schema
    .createTable('mcp_api_keys')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('level', 'text', (c) => c.notNull().check(sql`level in ('standard', 'operator')`))
    .addColumn('suffix', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_used_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('mcp_api_keys_suffix').on('mcp_api_keys').column('suffix').execute();
  // One row per tool call: who (the key's name and suffix, never the key), what, how much, how long.
  await db.schema
    .createTable('mcp_audit')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('key_name', 'text', (c) => c.notNull())
    .addColumn('key_suffix', 'text', (c) => c.notNull())
    .addColumn('tool', 'text', (c) => c.notNull())
    .addColumn('arguments', 'jsonb', (c) => c.notNull())
    .addColumn('rows', 'integer')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('error', 'text')
    .execute();
  // search_sessions pages by end time, then id, within a site.
  await db.schema.createIndex('fullsession_sessions_site_end').on('fullsession_sessions').columns(['customer_id', 'site_id', 'end_time', 'session_id']).execute();
  await db.schema.createIndex('fullstory_sessions_end').on('fullstory_sessions').columns(['org_id', 'stream', 'session_end', 'session_id']).execute();
  // A role that can only read the synced tables; the migrating role becomes a
  // member so the MCP server can SET ROLE to it inside each read-only
  // transaction. Roles belong to the cluster: created once, granted per
  // database. A migrating role that may not create roles (managed Postgres)
  // is no reason to stop the workers: a notice, and the MCP server says what
  // to run when it finds the role missing.
  const grants = READABLE.map((table) => `grant select on ${table} to ${READER};`).join(' ');
  await sql
    .raw(
      `do $$ begin
        if not exists (select from pg_roles where rolname = '${READER}') then
          -- Two databases of one cluster migrating at once may both find it missing.
          begin create role ${READER} nologin; exception when duplicate_object or unique_violation then null; end;
        end if;
        if not pg_has_role(current_user, '${READER}', 'MEMBER') then
          -- XX000 is "tuple concurrently updated": another database granted it at the same instant.
          begin execute format('grant ${READER} to %I', current_user); exception when unique_violation or sqlstate 'XX000' then null; end;
        end if;
        grant usage on schema public to ${READER};
        ${grants}
      exception when insufficient_privilege then
        raise notice 'session-sync: could not create or grant the role ${READER} (%); the MCP server needs it: see docs/mcp.md', sqlerrm;
      end $$`,
    )
    .execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of READABLE) await sql`revoke select on ${sql.table(table)} from ${sql.id(READER)}`.execute(db);
  await db.schema.dropIndex('fullstory_sessions_end').execute();
  await db.schema.dropIndex('fullsession_sessions_site_end').execute();
  await db.schema.dropTable('mcp_audit').execute();
  await db.schema.dropTable('mcp_api_keys').execute();
}
