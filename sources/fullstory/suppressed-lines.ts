import type { IdentityKind } from '../../erasure/identity.js';
import type { SuppressionList } from '../../erasure/suppression-list.js';
import { parseLosslessJson } from './lossless-json.js';
import { fieldKeys, plainFieldValues } from './typed-event-columns.js';

/** FullStory's identity fields, in events and individuals alike, and the kind of identity each holds. */
const IDENTITY_FIELDS: ReadonlyArray<[field: string, kind: IdentityKind]> = [
  ['UserId', 'fullstory_user_id'],
  ['IndvId', 'indv_id'],
  ['UserEmail', 'email'],
  ['Email', 'email'],
  ['UserAppKey', 'uid'],
  ['Uid', 'uid'],
];
const IDENTITY_KEYS = fieldKeys(IDENTITY_FIELDS.map(([field]) => field));

/**
 * An export file's lines (in batches) without those of erased people (any identity
 * field on the suppression list), counted in `dropped.suppressed`: they
 * never reach a table, the rejects included.
 *
 * @example withoutSuppressedLines(lines, suppressions, counter)
 */
export async function* withoutSuppressedLines(batches: AsyncIterable<string[]>, suppressions: SuppressionList, dropped: { suppressed: number }): AsyncGenerator<string[]> {
  for await (const batch of batches) {
    const kept = batch.filter((line) => !suppressions.suppresses(lineIdentities(line)));
    dropped.suppressed += batch.length - kept.length;
    if (kept.length > 0) yield kept;
  }
}

/**
 * A line's identities: read from its text when it is a plain flat line,
 * else parsed (ids beyond 2^53 exact). A line that is not a JSON object
 * carries none here; the load refuses it as it would anyway.
 */
function lineIdentities(line: string): Array<[IdentityKind, unknown]> {
  const plain = plainFieldValues(line, IDENTITY_KEYS);
  if (plain) return IDENTITY_FIELDS.map(([, kind], i) => [kind, plain[i]]);
  let row: unknown;
  try {
    row = parseLosslessJson(line);
  } catch {
    return [];
  }
  if (typeof row !== 'object' || row === null) return [];
  return IDENTITY_FIELDS.map(([field, kind]) => [kind, (row as Record<string, unknown>)[field]]);
}
