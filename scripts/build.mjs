#!/usr/bin/env node
// Builds what ships: the TypeScript sources compiled to dist/ (tsconfig.build.json)
// and the workflow bundle (dist/workflow-bundle.js), so a worker starts with
// neither a TypeScript loader nor webpack. Incremental: a build with nothing
// changed takes a few seconds. Plain JavaScript, as it runs before anything is built.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const workflowBundlePath = join(root, 'dist', 'workflow-bundle.js');

export async function build() {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const { code } = await bundleWorkflowCode({ workflowsPath: join(root, 'dist', 'workflows', 'index.js'), logger: quietBundler });
  mkdirSync(dirname(workflowBundlePath), { recursive: true });
  writeFileSync(workflowBundlePath, code);
}

const quietBundler = {
  trace() {},
  debug() {},
  info() {},
  warn: (message) => process.stderr.write(`bundler: ${message}\n`),
  error: (message) => process.stderr.write(`bundler: ${message}\n`),
  log() {},
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  await build();
  console.log(`build: dist/ and dist/workflow-bundle.js in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
