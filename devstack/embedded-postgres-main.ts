import { createInterface } from 'node:readline';
import { startEmbeddedPostgres, type EmbeddedPostgresOptions } from './embedded-postgres.js';

/**
 * Runs an embedded Postgres in its own process and prints its URL as one JSON
 * line; stops it when stdin closes or on SIGTERM. A separate process because
 * embedded-postgres installs an exit hook that calls process.exit(0), which
 * would turn a failing test run's exit code into success.
 *
 * A `restart` line on stdin stops the server (fast shutdown: every
 * connection is cut) and starts it again on the same data; `restarted` is
 * printed once it is back.
 */
// Options as one JSON argument (EmbeddedPostgresOptions), e.g. a TLS-only server for tests.
const postgres = await startEmbeddedPostgres(process.argv[2] ? (JSON.parse(process.argv[2]) as EmbeddedPostgresOptions) : {});
process.stdout.write(`${JSON.stringify({ url: postgres.url, dataDir: postgres.dataDir })}\n`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await postgres.stop();
  process.exit(0);
};
const commands = createInterface({ input: process.stdin });
commands.on('line', (line) => {
  if (line.trim() !== 'restart') return;
  void postgres.restart().then(() => process.stdout.write('restarted\n'));
});
commands.on('close', () => void stop());
process.on('SIGTERM', () => void stop());
// A closed terminal hangs up the whole group: stop and remove the data directory rather than die with it.
process.on('SIGHUP', () => void stop());
// Ctrl-C in a terminal reaches the whole process group: the parent decides when to stop (it closes stdin), and the data directory goes with it.
process.on('SIGINT', () => {});
