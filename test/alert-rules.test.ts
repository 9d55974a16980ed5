import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** Installed by scripts/bootstrap.mjs (npm test's pretest); missing is a failure, never a skip. */
const PROMTOOL = `${ROOT}.tools/bin/promtool`;

const promtool = async (...args: string[]) => {
  const { stdout, stderr } = await promisify(execFile)(PROMTOOL, args, { cwd: `${ROOT}alerts` }).catch((error: { stdout: string; stderr: string; code: number }) => {
    throw new Error(`promtool ${args.join(' ')} failed (exit ${error.code}):\n${error.stdout}${error.stderr}`);
  });
  return stdout + stderr;
};

/** The shipped alert rules: valid, and firing exactly when their tests say (late, stale, gaps, skipped runs; once a site, not once a worker). */
describe('alert rules', () => {
  it('are valid Prometheus rules and pass their promtool unit tests', async () => {
    expect(existsSync(PROMTOOL), `${PROMTOOL} is missing: run node scripts/bootstrap.mjs`).toBe(true);
    expect(await promtool('check', 'rules', 'session-sync-alerts.yml')).toContain('SUCCESS: 5 rules found');
    expect(await promtool('test', 'rules', 'session-sync-alerts.test.yml')).toContain('SUCCESS');
  });
});
