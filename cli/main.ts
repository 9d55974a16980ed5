import { Command, InvalidArgumentError } from 'commander';
import { ConfigError } from '../config/config-error.js';
import { parseDuration } from '../config/duration.js';
import { loadConfig, loadLoggingConfig } from '../config/load-config.js';
import { createLogger } from '../logging/logger.js';
import { backfillCommand } from './backfill-command.js';
import { UsageError } from './backfill-request.js';
import { migrateCommand } from './migrate-command.js';
import { workerCommand } from './worker-command.js';

const env = process.env;
const log = createLogger(loggingConfigOrExit());
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
  if (ms === undefined) throw new InvalidArgumentError('expected a duration like 1h or 1d');
  return ms;
}

const program = new Command('session-sync').description('Keeps a Postgres copy of FullSession sessions, run by Temporal.');

program.command('migrate').description('apply pending database migrations').action(() => migrateCommand(env, log));

program
  .command('worker')
  .description('run a worker: migrates, then syncs what Temporal schedules')
  .action(() => workerCommand(loadConfig(env, { credentials: true }), log));

program
  .command('backfill')
  .description('sync every session of a site that ended in [--from, --to), and wait for it')
  .requiredOption('--site <id>', 'FullSession site id')
  .requiredOption('--from <iso>', 'range start, ISO-8601 (inclusive)')
  .requiredOption('--to <iso>', 'range end, ISO-8601 (exclusive)')
  .option('--window <duration>', 'window size, e.g. 1h or 1d (default SYNC_WINDOW)', durationOption)
  .option('--force', 're-fetch windows that are already complete', false)
  .action(async (options: { site: string; from: string; to: string; window?: number; force: boolean }) => {
    await backfillCommand(loadConfig(env), options, print);
  });

program.parseAsync().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof UsageError) {
    process.stderr.write(`session-sync: ${error.message}\n`);
    process.exit(2);
  }
  log.fatal({ err: error }, 'session-sync failed');
  process.exit(1);
});
