import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { parseLosslessJson } from '../../sources/fullstory/lossless-json.js';

/** The raw rows fullstory_events holds for an org's events that started in [from, to), ids beyond 2^53 read exactly (as text). */
export async function storedFullStoryRows(db: Kysely<Database>, orgId: string, from: number, to: number): Promise<Array<Record<string, unknown>>> {
  const rows = await db
    .selectFrom('fullstory_events')
    .select(sql<string>`raw::text`.as('raw'))
    .where('org_id', '=', orgId)
    .where('event_start', '>=', new Date(from))
    .where('event_start', '<', new Date(to))
    .execute();
  return rows.map((row) => parseLosslessJson(row.raw) as Record<string, unknown>);
}
