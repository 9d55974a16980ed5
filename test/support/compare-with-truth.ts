import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { FullSessionSandbox } from '../../devstack/sandboxes/fullsession/sandbox-server.js';
import { CUSTOMER, SITE } from './sandbox-fixtures.js';

/**
 * The stored sessions of a site whose end is in [from, to) and the sandbox's
 * ground truth for the same range, both as id → payload, for an exact
 * comparison (none missing, none extra, payloads equal).
 */
export async function storedAndTruth(db: Kysely<Database>, sandbox: FullSessionSandbox, from: number, to: number, siteId = SITE) {
  const rows = await db
    .selectFrom('fullsession_sessions')
    .select(['session_id', 'payload'])
    .where('customer_id', '=', CUSTOMER)
    .where('site_id', '=', siteId)
    .where('end_time', '>=', new Date(from))
    .where('end_time', '<', new Date(to))
    .execute();
  const stored = new Map(rows.map((row) => [row.session_id, row.payload]));
  const truth = new Map(sandbox.groundTruth(CUSTOMER, siteId, from, to).map((s) => [s.uuid, s.json]));
  return { stored: sortById(stored), truth: sortById(truth) };
}

function sortById(map: Map<string, unknown>): Record<string, unknown> {
  return Object.fromEntries([...map].sort(([a], [b]) => a.localeCompare(b)));
}
