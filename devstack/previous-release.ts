import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
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
 * workflow bundle), from git: kept in .tools/releases/ (git-ignored), so
 * only the first run builds it. It uses this checkout's node_modules: the
 * two releases depend on the same packages (if that ever changes, install
 * its own here).
 */
export function previousReleaseRoot(): string {
  const root = join(ROOT, '.tools', 'releases', PREVIOUS_RELEASE);
  if (existsSync(join(root, 'dist', 'workflow-bundle.js'))) return root;
  const building = `${root}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  execFileSync('sh', ['-c', `git archive ${PREVIOUS_RELEASE} | tar -x -C '${building}'`], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  symlinkSync(join(ROOT, 'node_modules'), join(building, 'node_modules'));
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: building, stdio: ['ignore', 'ignore', 'inherit'] });
  rmSync(root, { recursive: true, force: true });
  renameSync(building, root);
  return root;
}
