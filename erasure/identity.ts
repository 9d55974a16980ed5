/**
 * The kinds of identity a person has in the copy. FullStory exports four:
 * the email, your own user id (UserAppKey, an individual's Uid), its
 * user id (UserId) and its individual id (IndvId); FullSession the user id
 * and email its identify call sends.
 */
export type IdentityKind = 'email' | 'uid' | 'fullstory_user_id' | 'indv_id' | 'user_id';

/** One person's identities, by kind, as found so far. */
export type Identities = Record<IdentityKind, Set<string>>;

export function noIdentities(): Identities {
  return { email: new Set(), uid: new Set(), fullstory_user_id: new Set(), indv_id: new Set(), user_id: new Set() };
}

/** An identity as compared and hashed: emails trimmed and in lower case (they are matched so in SQL too), ids exactly. */
export function normalIdentity(kind: IdentityKind, value: string): string {
  return kind === 'email' ? value.trim().toLowerCase() : value;
}

/**
 * Adds identities to `into`; returns those that were new, by kind.
 *
 * @example addIdentities(found, [['email', 'A@x.io']]) // [['email', 'a@x.io']] the first time, [] after
 */
export function addIdentities(into: Identities, identities: Iterable<[IdentityKind, string | null | undefined]>): Array<[IdentityKind, string]> {
  const added: Array<[IdentityKind, string]> = [];
  for (const [kind, value] of identities) {
    if (value === null || value === undefined || value === '') continue;
    const normal = normalIdentity(kind, value);
    if (into[kind].has(normal)) continue;
    into[kind].add(normal);
    added.push([kind, normal]);
  }
  return added;
}

/** How many identities, of every kind. */
export function identityCount(identities: Identities): number {
  return Object.values(identities).reduce((sum, values) => sum + values.size, 0);
}
