import { createHash } from 'node:crypto';

/**
 * Shows a FullStory API key the way FullStory's API Keys page identifies
 * it: the 7 characters after the last `/` (`…/3BTYMQW`). Legacy keys (made
 * before August 2022) have no suffix; they are shown by a fingerprint of
 * the key, which identifies it in logs without revealing any of it.
 *
 * @example obfuscateFullStoryKey('na1.AbC/xyz/3BTYMQW') // '…/3BTYMQW'
 */
export function obfuscateFullStoryKey(key: string): string {
  const suffix = /\/([A-Za-z0-9]{7})$/.exec(key)?.[1];
  if (suffix) return `…/${suffix}`;
  return `legacy key #${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
}

/**
 * The data centre a key was made in, from its prefix (`eu1.…` → `eu1`);
 * null for a legacy key, which names none.
 */
export function keyDataCentre(key: string): string | null {
  return /^([a-z]{2}\d)\./.exec(key)?.[1] ?? null;
}

/** The data centre an org lives in, from its id's suffix (`o-1G1-na1` → `na1`); null when the id names none. */
export function orgDataCentre(orgId: string): string | null {
  return /-([a-z]{2}\d)$/.exec(orgId)?.[1] ?? null;
}

/** Where a key's requests go: `eu1.` keys to the EU host, every other key to the default one. */
export function apiBaseUrlFor(key: string, hosts: { apiUrl: string; euApiUrl: string }): string {
  return key.startsWith('eu1.') ? hosts.euApiUrl : hosts.apiUrl;
}

/** FullStory's permission levels, lowest first; `USER` is what the UI calls Standard. */
export const PERMISSION_LEVELS = ['USER', 'ARCHITECT', 'ADMIN'] as const;
export type PermissionLevel = (typeof PERMISSION_LEVELS)[number];

/** How an operator reads a level: FullStory's UI names `USER` Standard. */
export function levelName(role: string): string {
  if (role === 'USER') return 'Standard';
  if ((PERMISSION_LEVELS as readonly string[]).includes(role)) return role.charAt(0) + role.slice(1).toLowerCase();
  return `unknown (${role})`;
}
