#!/usr/bin/env node
// Runs the compiled CLI (dist/, from `npm run build`): plain Node, no
// TypeScript loader at run time. The image, `npm test`, the demo and the
// benchmark all build first; `npm run cli` runs the sources through tsx.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('session-sync is not built: run `npm run build` first (it compiles the sources into dist/)\n');
  process.exit(1);
}
await import(main.href);
