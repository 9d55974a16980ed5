/**
 * Real `session-sync` processes for tests and the benchmark: a worker kept
 * running with its output captured, or one command run to completion.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The worker's start command relative to the project root; the Dockerfile's CMD must match it (test/deployment.test.ts). */
export const WORKER_COMMAND = ['bin/session-sync.js', 'worker'];

/**
 * The process settings a worker runs with, in the image (Dockerfile ENV) as
 * in tests and the benchmark. A small V8 young generation and two malloc
 * arenas took an idle worker (then run through tsx) from about 310 MB to
 * about 230 MB resident. The worker command itself also runs workflows on
 * the main thread and limits V8's heap growth (worker/heap-growth.ts); the
 * benchmark's idle and peak figures measure all of it.
 */
export const WORKER_PROCESS_ENV = { NODE_OPTIONS: '--max-semi-space-size=4', MALLOC_ARENA_MAX: '2' };

/** A real `session-sync worker` process, with its output kept for inspection. */
export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/**
 * Starts `session-sync worker` with exactly the given environment (plus
 * PATH); `root` is another build's (a previous release's) project folder;
 * `nodeFlags` are Node's own (`--cpu-prof`, which NODE_OPTIONS refuses).
 */
export function spawnWorker(env: Record<string, string>, root = ROOT, nodeFlags: string[] = []): WorkerProcess {
  const child = spawn(process.execPath, [...nodeFlags, ...WORKER_COMMAND], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', LOG_PRETTY: 'false', ...WORKER_PROCESS_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Resolves once `predicate` holds, polling; fails after `timeoutMs`. */
export async function waitFor(predicate: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Resolves once the worker's /readyz answers 200 at `base`; fails at once,
 * with the end of its output, when the worker exits first, and after
 * `timeoutMs` with the same.
 */
export async function waitUntilReady(worker: WorkerProcess, base: string, timeoutMs = 60_000): Promise<void> {
  try {
    await waitFor(async () => {
      if (worker.child.exitCode !== null) throw new Error(`the worker exited with code ${worker.child.exitCode} before it was ready`);
      return (await fetch(`${base}/readyz`).catch(() => null))?.status === 200;
    }, timeoutMs, 'the worker to be ready');
  } catch (error) {
    throw new Error(`${(error as Error).message}; its output ended with:\n${worker.output().slice(-2_000)}`);
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one `session-sync` command to completion with exactly the given environment (plus PATH), of this build or the one in `root`. */
export async function runCli(args: string[], env: Record<string, string>, root = ROOT): Promise<CliResult> {
  const child = spawn(process.execPath, [WORKER_COMMAND[0] as string, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', LOG_PRETTY: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  return { code, stdout, stderr };
}
