import { sql, type Kysely } from 'kysely';
import type { StreamKey } from '../workflows/stream-key.js';
import type { Database } from './database.js';

/** Where the site's next scheduled run starts (Unix ms), or null before the first one. */
export async function readWatermark(db: Kysely<Database>, site: StreamKey): Promise<number | null> {
  const row = await watermarkRow(db, site);
  return row ? row.synced_until.getTime() : null;
}

/** Moves the watermark to `until`, never backwards (GREATEST), so late or concurrent runs cannot rewind it. */
export async function advanceWatermark(db: Kysely<Database>, site: StreamKey, until: number): Promise<void> {
  await db
    .insertInto('sync_watermarks')
    .values({ source: site.source, customer_id: site.customerId, site_id: site.siteId, synced_until: new Date(until) })
    .onConflict((oc) =>
      oc.columns(['source', 'customer_id', 'site_id']).doUpdateSet({
        synced_until: sql`GREATEST(sync_watermarks.synced_until, excluded.synced_until)`,
        updated_at: sql`now()`,
      }),
    )
    .execute();
}

/** Where the site's daily sweep has reached (Unix ms), or null before the first one. */
export async function readSweptUntil(db: Kysely<Database>, site: StreamKey): Promise<number | null> {
  const row = await watermarkRow(db, site);
  return row?.swept_until ? row.swept_until.getTime() : null;
}

/** The site's row of sync_watermarks, if a scheduled run has made it. */
function watermarkRow(db: Kysely<Database>, site: StreamKey) {
  return db
    .selectFrom('sync_watermarks')
    .select(['synced_until', 'swept_until'])
    .where('source', '=', site.source)
    .where('customer_id', '=', site.customerId)
    .where('site_id', '=', site.siteId)
    .executeTakeFirst();
}

/** Moves the sweep's mark to `until`, never backwards; the watermark row exists, as a run advanced it first. */
export async function advanceSweptUntil(db: Kysely<Database>, site: StreamKey, until: number): Promise<void> {
  await db
    .updateTable('sync_watermarks')
    .set({ swept_until: sql`GREATEST(coalesce(swept_until, ${new Date(until)}), ${new Date(until)})`, updated_at: sql`now()` })
    .where('source', '=', site.source)
    .where('customer_id', '=', site.customerId)
    .where('site_id', '=', site.siteId)
    .execute();
}
