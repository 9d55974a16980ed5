import { sql, type Kysely, type Transaction } from 'kysely';
import type { StreamKey } from '../workflows/stream-key.js';
import type { CheckpointRow, Database } from './database.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Identifies one window's query of one stream: its cursor is meaningful only for exactly this query. */
export interface CheckpointKey extends StreamKey {
  windowStart: number;
  windowEnd: number;
  lookbackMs: number;
}

function matchKey(key: CheckpointKey) {
  return {
    source: key.source,
    customer_id: key.customerId,
    site_id: key.siteId,
    window_start: new Date(key.windowStart),
    window_end: new Date(key.windowEnd),
    lookback_ms: String(key.lookbackMs),
  };
}

/**
 * Returns the window's checkpoint, creating a fresh one (no cursor, pending)
 * the first time the window is seen.
 *
 * @example const checkpoint = await loadCheckpoint(db, key)
 */
export async function loadCheckpoint(db: Db, key: CheckpointKey): Promise<CheckpointRow> {
  await db
    .insertInto('sync_checkpoints')
    .values({ ...matchKey(key), lookback_ms: key.lookbackMs, cursor: null, status: 'pending', started_at: sql<Date>`now()` })
    .onConflict((oc) => oc.doNothing())
    .execute();
  return db
    .selectFrom('sync_checkpoints')
    .selectAll()
    .where((eb) => eb.and(matchKey(key)))
    .executeTakeFirstOrThrow();
}

export interface CheckpointAdvance {
  /** The cursor the page was fetched with; the update applies only if it is still current. */
  expectedCursor: unknown;
  nextCursor: unknown;
  /** How the next cursor is remembered in the window's cursor history (activities/paging-guard.ts). */
  nextCursorKey: string;
  done: boolean;
  sessions: number;
  /** Sessions the page returned, owned by the window or not. */
  received: number;
}

/**
 * Moves the window's cursor past the page just written, in the caller's
 * transaction. Compare-and-set on the cursor: if another attempt of the same
 * activity got there first, returns false and the caller rolls back.
 */
export async function advanceCheckpoint(trx: Transaction<Database>, key: CheckpointKey, advance: CheckpointAdvance): Promise<boolean> {
  const result = await trx
    .updateTable('sync_checkpoints')
    .set({
      cursor: advance.done ? null : JSON.stringify(advance.nextCursor),
      status: advance.done ? 'done' : 'pending',
      pages: sql`pages + 1`,
      sessions: sql`sessions + ${advance.sessions}`,
      received: sql`received + ${advance.received}`,
      // A completed window is never paged again: its history can go.
      cursor_history: advance.done ? sql`'[]'::jsonb` : sql`cursor_history || jsonb_build_array(${advance.nextCursorKey}::text)`,
      updated_at: sql`now()`,
      completed_at: advance.done ? sql`now()` : null,
    })
    .where((eb) => eb.and(matchKey(key)))
    .where('status', '=', 'pending')
    .where(sql<boolean>`cursor is not distinct from ${advance.expectedCursor === undefined ? null : JSON.stringify(advance.expectedCursor)}::jsonb`)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Forgets a window's progress so the next page starts from the beginning (`--force`). */
export async function resetCheckpoint(db: Db, key: CheckpointKey): Promise<void> {
  await db
    .updateTable('sync_checkpoints')
    .set({ cursor: null, status: 'pending', pages: 0, sessions: 0, received: 0, cursor_history: sql`'[]'::jsonb`, completed_at: null, updated_at: sql`now()`, started_at: sql`now()` })
    .where((eb) => eb.and(matchKey(key)))
    .execute();
}
