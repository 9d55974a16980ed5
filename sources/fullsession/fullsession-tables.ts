import type { ColumnType, Generated, Insertable } from 'kysely';
import type { BigIntColumn, DefaultedTimestamp, Timestamp } from '../../db/column-types.js';

/** FullSession's own tables, as db/database.ts composes them into the Database. */
export interface FullSessionTables {
  fullsession_sessions: FullSessionSessionsTable;
  fullsession_rejects: FullSessionRejectsTable;
  fullsession_longest_sessions: FullSessionLongestSessionsTable;
}

export interface FullSessionSessionsTable {
  customer_id: string;
  site_id: string;
  session_id: string;
  user_id: string | null;
  start_time: Timestamp;
  end_time: Timestamp;
  duration_ms: BigIntColumn | null;
  active_time_ms: BigIntColumn | null;
  country: string | null;
  country_code: string | null;
  city: string | null;
  os: string | null;
  browser: string | null;
  browser_full_version: string | null;
  device: string | null;
  referrer: string | null;
  landing_page: string | null;
  exit_page: string | null;
  page_count: number | null;
  payload: ColumnType<Record<string, unknown>, string, string>;
  /** The session exactly as received, as JSON text, when `payload` had to replace unstorable characters. */
  payload_original: string | null;
  first_synced_at: DefaultedTimestamp;
  last_synced_at: DefaultedTimestamp;
}

export interface FullSessionRejectsTable {
  id: Generated<string>;
  customer_id: string;
  site_id: string;
  session_id: string | null;
  reason: string;
  raw: ColumnType<unknown, string, string>;
  /** The record exactly as received, as JSON text, when `raw` had to replace unstorable characters. */
  raw_original: string | null;
  raw_sha256: string;
  rejected_at: DefaultedTimestamp;
}

/**
 * A site's longest session stored (end minus start), never shrinking:
 * what bounds the start times a search by end time reads
 * (sessions-by-end.ts).
 */
export interface FullSessionLongestSessionsTable {
  customer_id: string;
  site_id: string;
  longest_ms: BigIntColumn;
}

export type NewSessionRow = Insertable<FullSessionSessionsTable>;
