#!/usr/bin/env node
// Checks what users deploy, as CI does: every Kubernetes manifest in
// deploy/kubernetes/ against Kubernetes' own schemas (kubernetes-validate
// --strict, offline), and the manifests and the Dockerfile with checkov. A
// checkov finding fails unless the manifest skips it with a reason
// (`checkov.io/skipN: CHECK_ID=why`); a skip without one fails here.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deploymentCheckersVenv, installDeploymentCheckers } from './bootstrap.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifestsDir = join(root, 'deploy', 'kubernetes');
const bin = (name) => join(deploymentCheckersVenv, 'bin', name);
/** A skip must say why in words, not just name the check. */
const MIN_REASON_LENGTH = 20;

installDeploymentCheckers();
const manifests = readdirSync(manifestsDir).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml');
const unexplained = manifests.flatMap((file) =>
  [...readFileSync(join(manifestsDir, file), 'utf8').matchAll(/checkov\.io\/skip\d+:\s*(\S+?)(?:=(.*))?$/gm)]
    .filter((match) => (match[2] ?? '').trim().length < MIN_REASON_LENGTH)
    .map((match) => `${file}: ${match[1]} is skipped without a reason`),
);
if (unexplained.length > 0) {
  process.stderr.write(`check-deployment: ${unexplained.join('; ')}\n`);
  process.exit(1);
}
function run(command, args) {
  try {
    execFileSync(command, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  } catch {
    process.stderr.write(`check-deployment: ${command.split('/').pop()} found problems (above)\n`);
    process.exit(1);
  }
}
run(bin('kubernetes-validate'), ['--strict', '--quiet', ...manifests.map((file) => join('deploy', 'kubernetes', file))]);
// --skip-download: no request to the vendor's platform (this machine has no internet, and a CI check must not need it).
run(bin('checkov'), ['--skip-download', '--quiet', '--compact', '--framework', 'kubernetes', '-d', 'deploy/kubernetes']);
run(bin('checkov'), ['--skip-download', '--quiet', '--compact', '--framework', 'dockerfile', '-f', 'Dockerfile']);
console.log(`check-deployment: ${manifests.length} manifests valid against Kubernetes' schemas; checkov found nothing unexplained in them or the Dockerfile`);
