import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMcpKeyCommand, deleteMcpKeyCommand, listMcpKeysCommand, renameMcpKeyCommand, setMcpKeyLevelCommand } from '../cli/mcp-keys-command.js';
import { databaseKeyVerifier } from '../mcp/key-verifier.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const DAY = 86_400_000;

/** MCP keys as the seeds describe them: shown once, a hash stored, a suffix to know them by, advice to rotate and delete. */
describe('MCP API keys', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.drop());

  it('shows a key once, keeps only its hash, and verifies it by hash; rename, set-level and delete take effect at once', async () => {
    const printed: string[] = [];
    await createMcpKeyCommand(database.db, { name: 'claude-anna', level: 'standard', description: 'Anna on Claude Desktop', json: false }, (line) => printed.push(line));
    const key = printed[1]!;
    expect(printed[0]).toBe(`created standard key claude-anna (…/${key.slice(-7)}):`);
    expect(printed[2]).toBe('Copy it now: it is shown only this once and stored only as a hash. MCP clients send it as Authorization: Bearer <key>.');
    const stored = await database.db.selectFrom('mcp_api_keys').selectAll().executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ name: 'claude-anna', level: 'standard', suffix: key.slice(-7), description: 'Anna on Claude Desktop', last_used_at: null });
    expect(stored.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(key.slice(4, -8));

    const verifier = databaseKeyVerifier(database.db);
    expect(await verifier.verify(key)).toEqual({ name: 'claude-anna', suffix: key.slice(-7), level: 'standard' });
    expect(await verifier.verify(`${key.slice(0, -9)}x/${key.slice(-7)}`)).toBeNull();
    await setMcpKeyLevelCommand(database.db, 'claude-anna', 'operator', () => {});
    await renameMcpKeyCommand(database.db, 'claude-anna', 'anna', () => {});
    expect(await verifier.verify(key)).toEqual({ name: 'anna', suffix: key.slice(-7), level: 'operator' });
    await deleteMcpKeyCommand(database.db, 'anna', () => {});
    expect(await verifier.verify(key)).toBeNull();
  });

  it('refuses a taken name and an unknown key with what to do', async () => {
    await createMcpKeyCommand(database.db, { name: 'ci', level: 'standard', json: true }, () => {});
    await expect(createMcpKeyCommand(database.db, { name: 'ci', level: 'operator', json: true }, () => {})).rejects.toThrow('a key named "ci" exists; pick another name, or delete it first with `session-sync mcp-keys delete ci`');
    await expect(deleteMcpKeyCommand(database.db, 'nosuch', () => {})).rejects.toThrow('no MCP key is named "nosuch" (see `session-sync mcp-keys list`)');
    await expect(createMcpKeyCommand(database.db, { name: 'bad name!', level: 'standard', json: true }, () => {})).rejects.toThrow('key name "bad name!" must be 1 to 64 letters, digits, dots, dashes or underscores');
  });

  it('lists keys with their suffix only, and warns about unused and old ones', async () => {
    const shown: string[] = [];
    await createMcpKeyCommand(database.db, { name: 'old', level: 'standard', json: true }, (line) => shown.push(line));
    const { suffix } = JSON.parse(shown[0]!) as { suffix: string };
    const lines: string[] = [];
    const now = Date.now();
    await listMcpKeysCommand(database.db, { json: false }, (line) => lines.push(line), now + 91 * DAY);
    expect(lines.join('\n')).toMatch(/^NAME\s+LEVEL\s+KEY\s+CREATED\s+LAST USED\s+DESCRIPTION$/m);
    expect(lines.join('\n')).toMatch(new RegExp(`^old\\s+standard\\s+…/${suffix}\\s+\\S+Z\\s+never\\s+-$`, 'm'));
    expect(lines).toContain(`warning: old (…/${suffix}) has not been used for 91 days: delete keys you do not use (\`session-sync mcp-keys delete old\`)`);
    expect(lines).toContain(`warning: old (…/${suffix}) is 91 days old: rotate it (create a new key, move clients to it, delete this one)`);
    const fresh: string[] = [];
    await listMcpKeysCommand(database.db, { json: false }, (line) => fresh.push(line), now);
    expect(fresh.filter((line) => line.startsWith('warning:'))).toEqual([]);
  });
});
