import { startEmbeddedPostgres } from './embedded-postgres.js';

/**
 * Runs an embedded Postgres in its own process and prints its URL as one JSON
 * line; stops it when stdin closes or on SIGTERM. A separate process because
 * embedded-postgres installs an exit hook that calls process.exit(0), which
 * would turn a failing test run's exit code into success.
 */
const postgres = await startEmbeddedPostgres();
process.stdout.write(`${JSON.stringify({ url: postgres.url })}\n`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await postgres.stop();
  process.exit(0);
};
process.stdin.on('end', () => void stop());
process.stdin.resume();
process.on('SIGTERM', () => void stop());
