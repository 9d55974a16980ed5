import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** This release's version, from package.json: beside cli/ in a checkout, two levels up from dist/cli/ in a build. */
export function packageVersion(): string {
  for (const relative of ['../package.json', '../../package.json']) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(path)) {
      const manifest = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'session-sync' && manifest.version) return manifest.version;
    }
  }
  return 'unknown';
}
