import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import { ERASURE_KEY_VARIABLE, ErasureKeyError, type ErasureKey } from './erasure-key.js';
import { normalIdentity, type IdentityKind } from './identity.js';

/** A memo of this many identities at most; a window's users fit, a hostile file cannot grow it further. */
const MEMO_LIMIT = 100_000;

/**
 * The identities of an account that no load may store again (people
 * `session-sync forget` erased), as keyed hashes. A load drops every row
 * that carries one of them before the row reaches a table.
 */
export class SuppressionList {
  private readonly memo = new Map<string, boolean>();

  constructor(
    private readonly hashes: ReadonlySet<string>,
    private readonly key: ErasureKey | undefined,
  ) {}

  get isEmpty(): boolean {
    return this.hashes.size === 0;
  }

  /** Whether any of a row's identities is suppressed (absent and empty ones are skipped). */
  suppresses(identities: Array<[IdentityKind, unknown]>): boolean {
    if (this.isEmpty) return false;
    for (const [kind, value] of identities) {
      if (typeof value !== 'string' && typeof value !== 'number') continue;
      const text = String(value);
      if (text === '') continue;
      if (this.isSuppressed(kind, normalIdentity(kind, text))) return true;
    }
    return false;
  }

  private isSuppressed(kind: IdentityKind, normal: string): boolean {
    const memoKey = `${kind}\u0000${normal}`;
    const known = this.memo.get(memoKey);
    if (known !== undefined) return known;
    const suppressed = this.hashes.has(this.key!.hash(kind, normal));
    if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
    this.memo.set(memoKey, suppressed);
    return suppressed;
  }
}

const NOTHING_SUPPRESSED = new SuppressionList(new Set(), undefined);

/** The advisory lock (two keys) that orders loads and erasures of one account. */
export function erasureLockKeys(customerId: string) {
  return sql`hashtext('session-sync erasure'), hashtext(${customerId})`;
}

/**
 * The account's suppression list, read in a load's transaction under the
 * account's erasure lock, shared: an erasure takes it exclusively to add
 * people, so a load either commits before the erasure deletes (and its rows
 * are deleted) or reads the list after it (and stores none of them).
 * Throws when the account has a list and this process has no key, or
 * another key than the list was made with: loading without it would let
 * erased people back.
 */
export async function suppressionsFor(trx: Transaction<Database>, customerId: string, key: ErasureKey | undefined): Promise<SuppressionList> {
  await sql`select pg_advisory_xact_lock_shared(${erasureLockKeys(customerId)})`.execute(trx);
  const rows = await trx.selectFrom('erasure_suppressions').select(['identity_hash', 'key_id']).where('customer_id', '=', customerId).execute();
  if (rows.length === 0) return NOTHING_SUPPRESSED;
  for (const keyId of new Set(rows.map((row) => row.key_id))) assertKeyFits(key, keyId, `account ${customerId} has erased people on its suppression list`);
  return new SuppressionList(new Set(rows.map((row) => row.identity_hash)), key);
}

/**
 * At a worker's start: every suppression list in the database can be
 * applied with this worker's key. A worker that could not would fail
 * every load of those accounts; it refuses to start instead.
 */
export async function checkSuppressionKey(db: Kysely<Database>, key: ErasureKey | undefined): Promise<void> {
  const lists = await db.selectFrom('erasure_suppressions').select(['customer_id', 'key_id']).distinct().execute();
  for (const list of lists) assertKeyFits(key, list.key_id, `account ${list.customer_id} has erased people on its suppression list`);
}

function assertKeyFits(key: ErasureKey | undefined, listKeyId: string, why: string): asserts key is ErasureKey {
  if (!key) {
    throw new ErasureKeyError(`${why}, and ${ERASURE_KEY_VARIABLE} is not set: nothing of it is loaded without the key. Set ${ERASURE_KEY_VARIABLE} to the key \`session-sync forget\` used (key id ${listKeyId}).`);
  }
  if (key.id !== listKeyId) {
    throw new ErasureKeyError(`${why}, hashed with another ${ERASURE_KEY_VARIABLE} (key id ${listKeyId}; this one's is ${key.id}): nothing of it is loaded with this key. Set the key \`session-sync forget\` used.`);
  }
}
