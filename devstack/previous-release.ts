import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * The release before this one: the commit users run today, whose database
 * this release must upgrade while its workers keep running. Move it on
 * when a release ships.
 */
export const PREVIOUS_RELEASE = '62f3ad91fdcfa82b930f052fd3bf911787f5e3f1';

/**
 * That release's project folder, built as it ships (dist/ and its
 * workflow bundle), from this checkout's git history. A commit's build
 * never changes, so it is kept in the user's cache (as the deployment
 * checkers are) and made once per machine. It runs with this checkout's
 * node_modules, linked in each time it is asked for: the two releases
 * depend on the same packages (if that ever changes, install its own here).
 */
export function previousReleaseRoot(): string {
  const releases = join(homedir(), '.cache', 'session-sync', 'releases');
  const root = join(releases, PREVIOUS_RELEASE);
  if (!existsSync(join(root, 'dist', 'workflow-bundle.js'))) build(root);
  linkNodeModules(root);
  return root;
}

function build(root: string): void {
  const building = `${root}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  execFileSync('sh', ['-c', `git archive ${PREVIOUS_RELEASE} | tar -x -C '${building}'`], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  linkNodeModules(building);
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: building, stdio: ['ignore', 'ignore', 'inherit'] });
  rmSync(root, { recursive: true, force: true });
  renameSync(building, root);
}

/** Points the build's node_modules at this checkout's, replacing the link a checkout since deleted may have left. */
function linkNodeModules(root: string): void {
  const link = join(root, 'node_modules');
  const next = `${link}.${process.pid}`;
  rmSync(next, { force: true });
  symlinkSync(join(ROOT, 'node_modules'), next);
  renameSync(next, link);
}
