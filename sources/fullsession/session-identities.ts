import type { IdentityKind } from '../../erasure/identity.js';

/**
 * The identities a FullSession session carries, as its identify call sends
 * them: the user id (`userId`, or `user` in the older spelling) and the
 * email (`email` or `userEmail`). Any other shape carries none.
 *
 * @example sessionIdentities({ userId: 'u-7', email: 'Ann@example.com' }) // [['user_id', 'u-7'], ['user_id', undefined], ['email', 'Ann@example.com'], ['email', undefined]]
 */
export function sessionIdentities(session: unknown): Array<[IdentityKind, unknown]> {
  if (typeof session !== 'object' || session === null) return [];
  const fields = session as Record<string, unknown>;
  return [
    ['user_id', fields.userId],
    ['user_id', fields.user],
    ['email', fields.email],
    ['email', fields.userEmail],
  ];
}
