import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { mcpKeysWithSuffix, touchMcpKey } from '../db/mcp-keys-repository.js';
import { keyMatches, suffixOf } from './api-key.js';
import type { CallerKey } from './mcp-tools.js';

/** Who a presented key is, or null. */
export interface KeyVerifier {
  verify(key: string): Promise<CallerKey | null>;
}

/**
 * Verifies MCP keys against Postgres on every request, so a deleted key or
 * a changed level takes effect on the next request: found by its suffix,
 * matched by its keyed hash in constant time. Marks the key used.
 */
export function databaseKeyVerifier(db: Kysely<Database>, pepper?: string): KeyVerifier {
  return {
    async verify(key) {
      const suffix = suffixOf(key);
      if (suffix === null) return null;
      const match = (await mcpKeysWithSuffix(db, suffix)).find((row) => keyMatches(key, row.hash, pepper));
      if (!match) return null;
      await touchMcpKey(db, match.name);
      return { name: match.name, suffix: match.suffix, level: match.level };
    },
  };
}
