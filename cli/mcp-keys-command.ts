import type { Kysely } from 'kysely';
import type { Database, McpKeyLevel } from '../db/database.js';
import { deleteMcpKey, insertMcpKey, listMcpKeys, renameMcpKey, setMcpKeyLevel, type McpKeyRow } from '../db/mcp-keys-repository.js';
import { createApiKey } from '../mcp/api-key.js';
import { formatTable, formatTime } from './format.js';
import type { Print } from './print.js';
import { UsageError } from './usage-error.js';

const DAY_MS = 86_400_000;
/** The seeds' advice: delete keys you do not use, rotate old ones. */
const UNUSED_AFTER_DAYS = 30;
const ROTATE_AFTER_DAYS = 90;
export const MCP_KEY_LEVELS: readonly McpKeyLevel[] = ['standard', 'operator'];

export function levelOption(text: string): McpKeyLevel {
  if (!(MCP_KEY_LEVELS as readonly string[]).includes(text)) throw new UsageError(`--level "${text}" must be one of: ${MCP_KEY_LEVELS.join(', ')} (standard reads; operator can also start backfills)`);
  return text as McpKeyLevel;
}

function nameOption(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) throw new UsageError(`key name "${name}" must be 1 to 64 letters, digits, dots, dashes or underscores`);
  return name;
}

/** `mcp-keys create`: shows the key exactly once; afterwards only its suffix exists anywhere. */
export async function createMcpKeyCommand(db: Kysely<Database>, options: { name: string; level: McpKeyLevel; description?: string; json: boolean }, print: Print, pepper?: string): Promise<void> {
  const key = createApiKey(pepper);
  if (!(await insertMcpKey(db, { name: nameOption(options.name), level: options.level, suffix: key.suffix, hash: key.hash, description: options.description ?? '' }))) {
    throw new UsageError(`a key named "${options.name}" exists; pick another name, or delete it first with \`session-sync mcp-keys delete ${options.name}\``);
  }
  if (options.json) {
    print(JSON.stringify({ name: options.name, level: options.level, suffix: key.suffix, key: key.key }));
    return;
  }
  print(`created ${options.level} key ${options.name} (…/${key.suffix}):`);
  print(key.key);
  print('Copy it now: it is shown only this once and stored only as a hash. MCP clients send it as Authorization: Bearer <key>.');
}

/** `mcp-keys list`: name, level, suffix, description, created, last used; and what to rotate or delete. */
export async function listMcpKeysCommand(db: Kysely<Database>, options: { json: boolean }, print: Print, now = Date.now()): Promise<McpKeyRow[]> {
  const keys = await listMcpKeys(db);
  if (options.json) {
    print(JSON.stringify({ keys: keys.map((key) => ({ ...key, createdAt: new Date(key.createdAt).toISOString(), lastUsedAt: key.lastUsedAt === null ? null : new Date(key.lastUsedAt).toISOString() })) }, null, 2));
    return keys;
  }
  if (keys.length === 0) {
    print('no MCP keys yet: create one with `session-sync mcp-keys create --name NAME --level standard`');
    return keys;
  }
  print(formatTable(['NAME', 'LEVEL', 'KEY', 'CREATED', 'LAST USED', 'DESCRIPTION'], keys.map((key) => [key.name, key.level, `…/${key.suffix}`, formatTime(key.createdAt), key.lastUsedAt === null ? 'never' : formatTime(key.lastUsedAt), key.description || '-'])));
  for (const key of keys) {
    const idleSince = key.lastUsedAt ?? key.createdAt;
    if (now - idleSince > UNUSED_AFTER_DAYS * DAY_MS) print(`warning: ${key.name} (…/${key.suffix}) has not been used for ${Math.floor((now - idleSince) / DAY_MS)} days: delete keys you do not use (\`session-sync mcp-keys delete ${key.name}\`)`);
    if (now - key.createdAt > ROTATE_AFTER_DAYS * DAY_MS) print(`warning: ${key.name} (…/${key.suffix}) is ${Math.floor((now - key.createdAt) / DAY_MS)} days old: rotate it (create a new key, move clients to it, delete this one)`);
  }
  return keys;
}

export async function renameMcpKeyCommand(db: Kysely<Database>, name: string, newName: string, print: Print): Promise<void> {
  if (!(await renameMcpKey(db, name, nameOption(newName)))) throw new UsageError(`no MCP key is named "${name}" (see \`session-sync mcp-keys list\`)`);
  print(`renamed MCP key ${name} to ${newName}`);
}

export async function setMcpKeyLevelCommand(db: Kysely<Database>, name: string, level: McpKeyLevel, print: Print): Promise<void> {
  if (!(await setMcpKeyLevel(db, name, level))) throw new UsageError(`no MCP key is named "${name}" (see \`session-sync mcp-keys list\`)`);
  print(`MCP key ${name} is now ${level}; it takes effect on its next request`);
}

export async function deleteMcpKeyCommand(db: Kysely<Database>, name: string, print: Print): Promise<void> {
  if (!(await deleteMcpKey(db, name))) throw new UsageError(`no MCP key is named "${name}" (see \`session-sync mcp-keys list\`)`);
  print(`deleted MCP key ${name}; its next request is refused`);
}
