import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../devstack/session-sync-process.js';

const env = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere',
  TEMPORAL_ADDRESS: '127.0.0.1:1',
  SESSION_SYNC_CONFIG: fileURLToPath(new URL('../examples/session-sync.yaml', import.meta.url)),
  LOG_LEVEL: 'info',
};

/** What an operator sees when a command fails: one line that says what is wrong, no stack trace unless asked for. */
describe('operator errors from the real CLI', () => {
  it('a mistake in the command line is one line and exit 2; --version prints the version', async () => {
    for (const [args, line] of [
      [['status', '--bogus'], "session-sync: unknown option '--bogus' (see --help)\n"],
      [['bogus'], "session-sync: unknown command 'bogus' (see --help)\n"],
      [['backfill', '--site', 'shop', '--from', '2026-01-01', '--to', '2026-01-02', '--window', 'soon'], "session-sync: option '--window <duration>' argument 'soon' is invalid. expected a duration like 1h or 1d (see --help)\n"],
    ] as const) {
      const result = await runCli([...args], env);
      expect([result.code, result.stderr, result.stdout]).toEqual([2, line, '']);
    }
    const version = await runCli(['--version'], env);
    expect([version.code, version.stdout]).toEqual([0, `${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`]);
  });

  it('a date the calendar lacks is a usage error, exit 2', async () => {
    const result = await runCli(['backfill', '--site', 'shop', '--from', '2026-02-30', '--to', '2026-03-02'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('session-sync: --from "2026-02-30" is not an ISO-8601 date (2026-03-01) or date-time with a zone (2026-03-01T12:00:00Z) that exists\n');
  });

  it('an unreachable Temporal is one line naming the address and the variable', async () => {
    const result = await runCli(['schedule', 'list'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('session-sync: cannot reach Temporal at 127.0.0.1:1 (TEMPORAL_ADDRESS): ECONNREFUSED; is the address right and the server up?\n');
  });

  it('an unreachable Postgres is one line naming DATABASE_URL by host, port and database, never the password; LOG_LEVEL=debug adds the stack', async () => {
    const secret = await runCli(['status'], { ...env, DATABASE_URL: 'postgres://sync:hunter2secret@127.0.0.1:1/copy' });
    expect(secret.stderr).toBe('session-sync: cannot reach Postgres at 127.0.0.1:1/copy (DATABASE_URL): ECONNREFUSED; is the address right and the server up?\n');
    const plain = await runCli(['status'], env);
    expect(plain.code).toBe(1);
    // Every command that opens Postgres says the same: migrate said only 'connect ECONNREFUSED 127.0.0.1:1'.
    expect((await runCli(['migrate'], env)).stderr).toBe(plain.stderr);
    expect(plain.stderr).toBe('session-sync: cannot reach Postgres at 127.0.0.1:1/nowhere (DATABASE_URL): ECONNREFUSED; is the address right and the server up?\n');
    const debug = await runCli(['status'], { ...env, LOG_LEVEL: 'debug' });
    expect(debug.code).toBe(1);
    expect(debug.stderr).toContain('"msg":"session-sync failed"');
    expect(debug.stderr).toMatch(/\\n\s+at /);
    // Pretty logs into a pipe are plain text: colour is for terminals (and never with NO_COLOR).
    const pretty = await runCli(['status'], { ...env, LOG_LEVEL: 'debug', LOG_PRETTY: 'true' });
    expect(pretty.stderr).toContain('session-sync failed');
    expect(pretty.stderr).not.toContain('\u001b[');
  });
});
