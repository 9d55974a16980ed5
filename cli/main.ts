import { Command, CommanderError, InvalidArgumentError } from 'commander';
import type { Kysely } from 'kysely';
import { ConfigError } from '../config/config-error.js';
import { parseDuration } from '../config/duration.js';
import { loadConfig, loadLoggingConfig, type Config } from '../config/load-config.js';
import { connectDatabase } from '../db/connect.js';
import { databaseReachError } from '../db/database-reach-error.js';
import type { Database, McpKeyLevel } from '../db/database.js';
import { newerSchemaNote, readSchemaState } from '../db/schema-state.js';
import { createLogger } from '../logging/logger.js';
import { backfillCommand, cancelBackfillCommand } from './backfill-command.js';
import { backfillGapsCommand } from './backfill-gaps-command.js';
import { checkCommand, listCredentialsCommand } from './credentials-commands.js';
import { coverageCommand } from './coverage-command.js';
import { retentionCommand } from './retention-command.js';
import { forgetCommand, listErasuresCommand } from './forget-command.js';
import { ErasureKeyError, requireErasureKey } from '../erasure/erasure-key.js';
import { findSite } from './find-site.js';
import { mcpCommand } from './mcp-command.js';
import { createMcpKeyCommand, deleteMcpKeyCommand, levelOption, listMcpKeysCommand, renameMcpKeyCommand, setMcpKeyLevelCommand } from './mcp-keys-command.js';
import { migrateCommand } from './migrate-command.js';
import { operatorMessage } from './operator-message.js';
import { packageVersion } from './package-version.js';
import { applySchedulesCommand, listSchedulesCommand, scheduleActionCommand } from './schedule-commands.js';
import { statusCommand } from './status-command.js';
import { planCommand } from './plan-command.js';
import { UsageError } from './usage-error.js';
import { workerCommand } from './worker-command.js';

const env = process.env;
const isWorker = process.argv[2] === 'worker';
const log = createLogger({ ...loggingConfigOrExit(), toStderr: !isWorker });
const print = (line: string) => process.stdout.write(`${line}\n`);

function loggingConfigOrExit() {
  try {
    return loadLoggingConfig(env);
  } catch (error) {
    process.stderr.write(`session-sync: ${(error as Error).message}\n`);
    process.exit(2);
  }
}

function durationOption(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms === 0) throw new InvalidArgumentError('expected a duration like 1h or 1d');
  return ms;
}

/**
 * Runs a command that reads Postgres. It changes no schema, so a role with
 * SELECT alone serves `status` and `credentials list`; the schema must be
 * at least this release's, and may be newer (a rolling deploy).
 */
async function withDatabase<T>(config: Config, run: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  const db = connectDatabase({ url: config.database.url, maxConnections: 4 });
  try {
    const schema = await readSchemaState(db).catch((error: unknown) => {
      throw databaseReachError(config.database.url, error) ?? error;
    });
    if (schema.applied === 0) throw new UsageError('the database has no session-sync tables yet: run `session-sync migrate` with a role that may change the schema, then try again');
    if (schema.pending.length > 0) {
      throw new UsageError(`the database schema is older than this release (${schema.pending.length} migration${schema.pending.length === 1 ? '' : 's'} to run, the first ${schema.pending[0]}); run \`session-sync migrate\` with a role that may change the schema, then try again`);
    }
    if (schema.unknown.length > 0) log.warn(newerSchemaNote(schema));
    return await run(db);
  } finally {
    await db.destroy();
  }
}

const program = new Command('session-sync')
  .description('Keeps a Postgres copy of your session analytics data (FullSession sessions; FullStory events, sessions and individuals), run by Temporal.')
  .version(packageVersion(), '-V, --version', 'print the version')
  // A mistake in the command line is one line and exit 2, as for any usage error; --help shows the rest.
  .configureOutput({ outputError: (text, write) => write(`session-sync: ${text.replace(/^error: /, '').trim()} (see --help)\n`) })
  .exitOverride();

program.command('migrate').description('apply pending database migrations').action(() => migrateCommand(env, log));

program
  .command('worker')
  .description('run a worker: migrates, checks credentials, then syncs what Temporal schedules')
  .action(() => workerCommand(loadConfig(env, { credentials: true }), env, log));

program
  .command('check')
  .description('prove each credential can read each of its sites (one cheap request per site)')
  .option('--credential <name>', 'only this credential')
  .option('--site <id>', 'only this site')
  .action(async (options: { credential?: string; site?: string }) => {
    const config = loadConfig(env);
    // A site that is not configured is said before the database is asked anything.
    if (options.site) findSite(config.sites, options.site);
    const checks = await withDatabase(config, (db) => checkCommand(config, db, env, options, print));
    if (checks.length === 0 || checks.some((check) => check.outcome !== 'ok')) process.exitCode = 1;
  });

const credentials = program.command('credentials').description('named API credentials');
credentials
  .command('list')
  .description('list credentials: key obfuscated, sites served, last check')
  .action(async () => {
    const config = loadConfig(env);
    await withDatabase(config, (db) => listCredentialsCommand(config, db, env, print));
  });

const schedule = program.command('schedule').description('Temporal Schedules, one per site');
schedule
  .command('apply')
  .description('create or update one schedule per configured site (idempotent)')
  .option('--prune', 'delete schedules of sites no longer in the config', false)
  .action(async (options: { prune: boolean }) => {
    const outcomes = await applySchedulesCommand(loadConfig(env), options, print);
    if ([...outcomes.values()].includes('failed')) process.exitCode = 1;
  });
schedule
  .command('list')
  .description('list schedules with state, next and last run')
  .action(async () => {
    await listSchedulesCommand(loadConfig(env), print);
  });
schedule
  .command('pause <site>')
  .description("pause a site's schedule")
  .option('--reason <text>', 'shown in schedule list and status')
  .action((site: string, options: { reason?: string }) => scheduleActionCommand(loadConfig(env), 'pause', site, options.reason, print));
schedule.command('resume <site>').description("resume a site's schedule").action((site: string) => scheduleActionCommand(loadConfig(env), 'resume', site, undefined, print));
schedule.command('trigger <site>').description("start a site's scheduled sync now").action((site: string) => scheduleActionCommand(loadConfig(env), 'trigger', site, undefined, print));

const backfill = program
  .command('backfill')
  .description("sync a site's records in [--from, --to) (FullSession: the sessions that ended then; FullStory: the events then); starting it again attaches or resumes")
  .option('--site <id>', 'site id (or customer/site)')
  .option('--from <iso>', 'range start, ISO-8601 (inclusive)')
  .option('--to <iso>', 'range end, ISO-8601 (exclusive)')
  .option('--window <duration>', "window size, e.g. 1h or 1d (default: the site's window)", durationOption)
  .option('--force', 're-fetch windows that are already complete', false)
  .option('--detach', 'start it and return; follow it with `status`', false)
  .option('--gaps', 'backfill exactly the gaps `coverage` reports (--from and --to then narrow it)', false)
  .action(async (options: { site?: string; from?: string; to?: string; window?: number; force: boolean; detach: boolean; gaps: boolean }) => {
    if (options.gaps) {
      if (!options.site) throw new UsageError('backfill --gaps needs --site');
      if (options.force || options.window) throw new UsageError('backfill --gaps takes neither --force nor --window: it fetches what is missing, in the site\'s windows');
      const config = loadConfig(env);
      findSite(config.sites, options.site);
      await withDatabase(config, (db) => backfillGapsCommand(config, db, { ...options, site: options.site as string }, print, Boolean(process.stdout.isTTY)));
      return;
    }
    const missing = (['site', 'from', 'to'] as const).filter((name) => !options[name]).map((name) => `--${name}`);
    if (missing.length > 0) throw new UsageError(`backfill needs ${missing.join(', ')}`);
    const { site, from, to } = options as Required<typeof options>;
    await backfillCommand(loadConfig(env), { ...options, site, from, to }, print, Boolean(process.stdout.isTTY));
  });
backfill
  .command('cancel <workflowId>')
  .description('stop a backfill between pages; its checkpoints stay, so starting it again resumes')
  .action((workflowId: string) => cancelBackfillCommand(loadConfig(env), workflowId, print));

program
  .command('status')
  .description('one table for all sites: freshness, how far the copy is complete and fresh, last success, records, running syncs, paused schedules, last failure')
  .option('--json', 'machine-readable output', false)
  .option('--check', 'exit 1 when a site is stale or its freshness unknown (for cron-style monitoring; late is a warning, exit 0)', false)
  .action(async (options: { json: boolean; check: boolean }) => {
    const config = loadConfig(env);
    const report = await withDatabase(config, (db) => statusCommand(config, db, options, print));
    if (options.check && report.sites.some((site) => site.freshness.state === 'stale' || site.freshness.state === 'unknown')) process.exitCode = 1;
  });

program
  .command('coverage')
  .description('per site: what of its history is complete, provisional, running, failed, missing or expired, a cell per day; exit 1 when there is a gap')
  .option('--site <id>', 'one site (id or customer/site); default: every site')
  .option('--from <iso>', "range start, ISO-8601 (default: the site's first synced instant)")
  .option('--to <iso>', 'range end, ISO-8601 (default: now)')
  .option('--counts', 'records stored per day, a line per day', false)
  .option('--json', 'machine-readable output', false)
  .action(async (options: { site?: string; from?: string; to?: string; counts: boolean; json: boolean }) => {
    const config = loadConfig(env);
    if (options.site) findSite(config.sites, options.site);
    const columns = process.stdout.isTTY ? process.stdout.columns : undefined;
    const { hasGap } = await withDatabase(config, (db) => coverageCommand(config, db, { ...options, ...(columns ? { columns } : {}) }, print));
    if (hasGap) process.exitCode = 1;
  });

program
  .command('retention')
  .description("per site: drop (or detach) the partitions past its sync.retention, as workers do daily; coverage then shows those days expired")
  .option('--site <id>', 'one site (id or customer/site); default: every site')
  .option('--dry-run', 'only show what would go, with its rows', false)
  .option('--json', 'machine-readable output', false)
  .action(async (options: { site?: string; dryRun: boolean; json: boolean }) => {
    const config = loadConfig(env);
    if (options.site) findSite(config.sites, options.site);
    const reports = await withDatabase(config, (db) => retentionCommand(config, db, options, print));
    if (reports.some((report) => report.busy)) process.exitCode = 1;
  });

program
  .command('forget')
  .description("erase one person from an account's copy, every table, and keep them out of every later load (a keyed hash on a suppression list; ERASURE_HASH_KEY); --list shows past erasures, never who")
  .option('--account <id>', 'the account (FullStory org id, FullSession customer id)')
  .option('--email <address>', 'the person by email')
  .option('--user-id <id>', "the person by user id (FullStory: your own user id or FullStory's; FullSession: the identify call's)")
  .option('--dry-run', 'only count what would go', false)
  .option('--list', 'show every erasure: when, account, kind of identity, rows by table', false)
  .option('--json', 'machine-readable output', false)
  .action(async (options: { account?: string; email?: string; userId?: string; dryRun: boolean; list: boolean; json: boolean }) => {
    const config = loadConfig(env);
    if (options.list) {
      await withDatabase(config, (db) => listErasuresCommand(db, options, print));
      return;
    }
    if (!options.account) throw new UsageError('forget needs --account <id> (or --list)');
    if ((options.email === undefined) === (options.userId === undefined)) throw new UsageError('forget needs exactly one of --email <address> and --user-id <id>');
    if ((options.email ?? options.userId)!.trim() === '') throw new UsageError('forget needs a non-empty --email or --user-id');
    const key = requireErasureKey(env, '`session-sync forget`');
    await withDatabase(config, (db) => forgetCommand(config, db, key, { ...options, account: options.account! }, print));
  });

program
  .command('mcp')
  .description('serve the copy to AI assistants over MCP (Streamable HTTP at /mcp, or --stdio); clients send an MCP key as Authorization: Bearer <key>')
  .option('--host <host>', 'address to bind (MCP_HOST; default 127.0.0.1: this machine only)')
  .option('--port <port>', 'port (MCP_PORT; default 8765)')
  .option('--stdio', 'serve one local client on stdin/stdout, with the key in SESSION_SYNC_MCP_KEY', false)
  .action(async (options: { host?: string; port?: string; stdio: boolean }) => {
    const config = loadConfig(env);
    const port = Number(options.port ?? env.MCP_PORT ?? 8765);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port "${options.port ?? env.MCP_PORT}" must be a port number, 0 to 65535`);
    await withDatabase(config, (db) => mcpCommand(config, db, env, { host: options.host ?? env.MCP_HOST ?? '127.0.0.1', port, stdio: options.stdio }, log));
  });

const mcpKeys = program.command('mcp-keys').description("manage the MCP server's API keys: shown once, stored as a hash, named, at a level (standard reads, operator also starts backfills)");
mcpKeys
  .command('create')
  .description('create a key and show it once')
  .requiredOption('--name <name>', 'what the key is for, e.g. claude-desktop-anna')
  .requiredOption('--level <level>', 'standard (reads) or operator (also backfill_gaps)', levelOption)
  .option('--description <text>', 'a longer note')
  .option('--json', 'print {"name","level","suffix","key"}', false)
  .action(async (options: { name: string; level: McpKeyLevel; description?: string; json: boolean }) => {
    const config = loadConfig(env);
    await withDatabase(config, (db) => createMcpKeyCommand(db, options, print, env.MCP_KEY_PEPPER));
  });
mcpKeys
  .command('list')
  .description('name, level, suffix, description, created, last used; warns about unused and old keys')
  .option('--json', 'machine-readable output', false)
  .action(async (options: { json: boolean }) => {
    const config = loadConfig(env);
    await withDatabase(config, (db) => listMcpKeysCommand(db, options, print));
  });
mcpKeys.command('rename <name> <newName>').description('rename a key').action(async (name: string, newName: string) => {
  const config = loadConfig(env);
  await withDatabase(config, (db) => renameMcpKeyCommand(db, name, newName, print));
});
mcpKeys.command('set-level <name> <level>').description('change a key\'s level (standard or operator)').action(async (name: string, level: string) => {
  const config = loadConfig(env);
  await withDatabase(config, (db) => setMcpKeyLevelCommand(db, name, levelOption(level), print));
});
mcpKeys.command('delete <name>').description('delete a key; its next request is refused').action(async (name: string) => {
  const config = loadConfig(env);
  await withDatabase(config, (db) => deleteMcpKeyCommand(db, name, print));
});

program
  .command('plan')
  .description("each account's request budget: what its schedules cost a day, what was spent, the headroom and how long a backfill takes in it")
  .option('--days <n>', 'the backfill to estimate, in days', (text) => positiveDays(text), 30)
  .option('--json', 'machine-readable output', false)
  .action(async (options: { days: number; json: boolean }) => {
    const config = loadConfig(env);
    await withDatabase(config, (db) => planCommand(config, db, options, print));
  });

program.parseAsync().catch((error: unknown) => {
  if (error instanceof CommanderError) {
    // Help and --version end well; anything else commander refused was printed as one line above.
    process.exit(['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code) ? 0 : 2);
  }
  if (error instanceof ConfigError || error instanceof UsageError || error instanceof ErasureKeyError) {
    process.stderr.write(`session-sync: ${error.message}\n`);
    process.exit(2);
  }
  // One line an operator can act on; the stack only with LOG_LEVEL=debug. A failure to reach
  // Postgres names DATABASE_URL by host, port and database, whichever command met it.
  const reach = env.DATABASE_URL ? databaseReachError(env.DATABASE_URL, error) : null;
  process.stderr.write(`session-sync: ${operatorMessage(reach ?? error)}\n`);
  log.debug({ err: error }, 'session-sync failed');
  process.exit(1);
});

/** `--days`: a whole number of days, 1 or more. */
function positiveDays(text: string): number {
  const days = Number(text);
  if (!Number.isInteger(days) || days < 1) throw new UsageError(`--days "${text}" must be a whole number of days, 1 or more`);
  return days;
}
