import type { ColumnType, Generated } from 'kysely';
import type { DefaultedTimestamp, Timestamp } from '../../db/column-types.js';

/** FullStory's own tables, as db/database.ts composes them into the Database. */
export interface FullStoryTables {
  fullstory_events: FullStoryEventsTable;
  fullstory_sessions: FullStorySessionsTable;
  fullstory_rejects: FullStoryRejectsTable;
  fullstory_individuals: FullStoryIndividualsTable;
}

export interface FullStoryEventsTable {
  org_id: string;
  /** The configured stream of the org (its site in session-sync's terms), e.g. `events`. */
  stream: string;
  event_start: Timestamp;
  /** SHA-256 of the row's line as exported: identical rows share it. */
  row_sha256: string;
  /** Which of the window's identical rows this is, from 1. */
  occurrence: number;
  /** The typed columns: each `nullif(raw->>field, '')` (typed-event-columns.ts). */
  user_id: string | null;
  session_id: string | null;
  page_id: string | null;
  indv_id: string | null;
  event_type: string | null;
  page_url: string | null;
  user_email: string | null;
  /**
   * The key of the event's session row (sources/fullstory/session-key.ts).
   * Null in rows loaded before it was kept: read from `raw` by
   * fullstory_session_started_at, the same rule.
   */
  session_started_at: Timestamp | null;
  /** The row as exported, ids as decimal text; unstorable characters as U+FFFD. */
  raw: ColumnType<Record<string, unknown>, string, string>;
  /** The row exactly as exported, as JSON text, when `raw` had to change. */
  raw_original: string | null;
  synced_at: DefaultedTimestamp;
}

export interface FullStoryRejectsTable {
  id: Generated<string>;
  org_id: string;
  stream: string;
  reason: string;
  raw: ColumnType<unknown, string, string>;
  raw_original: string | null;
  raw_sha256: string;
  rejected_at: DefaultedTimestamp;
}

/** One session (user and session id), derived from its events whenever a window holding them is loaded. */
export interface FullStorySessionsTable {
  org_id: string;
  stream: string;
  user_id: string;
  session_id: string;
  /**
   * Its key and partition: the session's start as its events export it
   * (sources/fullstory/session-key.ts); -infinity in a row kept from before
   * keys were, until a load touches its session.
   */
  started_at: Timestamp;
  session_start: Timestamp;
  session_end: Timestamp;
  page_count: number;
  event_count: number;
  entry_url: string | null;
  exit_url: string | null;
  device: string | null;
  browser: string | null;
  platform: string | null;
  operating_system: string | null;
  /** The user's id in the customer's own system (FullStory's UserAppKey). */
  uid: string | null;
  email: string | null;
  display_name: string | null;
  updated_at: DefaultedTimestamp;
}

/** One individual (user) of an org, as the latest export of a window it was seen in gave it. */
export interface FullStoryIndividualsTable {
  org_id: string;
  indv_id: string;
  uid: string | null;
  email: string | null;
  display_name: string | null;
  created: Timestamp | null;
  num_sessions: ColumnType<string | null, number | null, number | null>;
  num_pages: ColumnType<string | null, number | null, number | null>;
  num_events: ColumnType<string | null, number | null, number | null>;
  total_sec: number | null;
  active_sec: number | null;
  last_session_start: Timestamp | null;
  last_event_start: Timestamp | null;
  last_page: string | null;
  last_browser: string | null;
  last_device: string | null;
  last_platform: string | null;
  last_operating_system: string | null;
  /** The row as exported; unstorable characters as U+FFFD. */
  raw: ColumnType<Record<string, unknown>, string, string>;
  /** The row exactly as exported, as JSON text, when `raw` had to change. */
  raw_original: string | null;
  updated_at: DefaultedTimestamp;
}
