import type { ColumnType, Generated, Selectable } from 'kysely';
import type { FullSessionTables } from '../sources/fullsession/fullsession-tables.js';
import type { FullStoryTables } from '../sources/fullstory/fullstory-tables.js';
import type { BigIntColumn, DefaultedTimestamp, Timestamp } from './column-types.js';

export type CheckpointStatus = 'pending' | 'done';

export interface SyncCheckpointsTable {
  /** The source of the stream (sources/source-registry.ts); with customer_id and site_id, its identity. */
  source: ColumnType<string, string | undefined, string>;
  customer_id: string;
  site_id: string;
  window_start: Timestamp;
  window_end: Timestamp;
  lookback_ms: BigIntColumn;
  /** The API's `startAfter` exactly as received (JSON), null before the first page. */
  cursor: ColumnType<unknown, string | null, string | null>;
  status: CheckpointStatus;
  pages: Generated<number>;
  sessions: Generated<number>;
  /** Hashes of the cursors this window has moved to (see db/cursor-history.ts); emptied when it completes. */
  cursor_history: ColumnType<string[], string | undefined, string>;
  /** Sessions its pages returned, owned or not. */
  received: Generated<number>;
  updated_at: DefaultedTimestamp;
  completed_at: Timestamp | null;
  /** When the window's current sync began (its first request, or a forced reset); null in rows of releases before it. */
  started_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface SyncRunsTable {
  source: ColumnType<string, string | undefined, string>;
  id: Generated<string>;
  workflow_id: string;
  /** Temporal's first run id of the workflow chain: one row per run, however often it continues-as-new. */
  first_run_id: string;
  kind: string;
  customer_id: string;
  site_id: string;
  range_start: Timestamp;
  range_end: Timestamp;
  status: RunStatus;
  /** When Temporal ends the run's workflow regardless (a scheduled run's runTimeout); null: never. See db/run-outcome.ts. */
  deadline_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  windows_total: number;
  windows_done: Generated<number>;
  pages: Generated<number>;
  sessions: Generated<number>;
  requests: Generated<number>;
  rejects: Generated<number>;
  /** Records dropped because they carry an erased person's identity (erasure/suppression-list.ts). */
  suppressed: Generated<string>;
  error: string | null;
  started_at: DefaultedTimestamp;
  finished_at: Timestamp | null;
}

export interface RateBudgetGrantsTable {
  account: string;
  granted_at: DefaultedTimestamp;
}

export interface RateBudgetLogTable {
  account: string;
  granted_at: DefaultedTimestamp;
}

export interface RateBudgetPausesTable {
  account: string;
  paused_until: Timestamp;
}

/** When an account's next grant is due if grants go evenly at its limit (db/rate-budget-repository.ts). */
export interface RateBudgetPaceTable {
  account: string;
  due_at: Timestamp;
}

export interface SyncWatermarksTable {
  source: ColumnType<string, string | undefined, string>;
  customer_id: string;
  site_id: string;
  synced_until: Timestamp;
  /** Where the daily sweep has reached; null before the first. */
  swept_until: ColumnType<Date | null, Date | null | undefined, Date | null>;
  updated_at: DefaultedTimestamp;
}

/** A window of a stream synced to its end (migrations/20261203000000_coverage_ledger.ts says what a row proves). */
export interface SyncCoverageTable {
  source: string;
  customer_id: string;
  site_id: string;
  range_start: Timestamp;
  range_end: Timestamp;
  reach_back_ms: BigIntColumn;
  synced_at: Timestamp;
}

/** A partition of a synced table (db/site-partitions.ts), with the site and time range it holds. */
export interface SyncPartitionsTable {
  partition_name: string;
  /** The partitioned table readers query, e.g. fullstory_events. */
  parent_table: string;
  /** Null, with site_id, for the partition that holds every site: the table as it was before partitioning. */
  customer_id: string | null;
  site_id: string | null;
  /** Null: from the beginning of time. */
  range_start: ColumnType<Date | null, Date | null | undefined, Date | null>;
  range_end: Timestamp;
  created_at: DefaultedTimestamp;
  /** When retention took the rows away: the range is expired (coverage's state), never loaded again. */
  expired_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  retention_action: ColumnType<RetentionAction | null, RetentionAction | null | undefined, RetentionAction | null>;
}

/** What retention does with a partition past a site's horizon: drop it, or detach it and keep it as a table of its own. */
export type RetentionAction = 'dropped' | 'detached';

export type McpKeyLevel = 'standard' | 'operator';

/** An MCP API key: only its keyed hash and its 7-character suffix are kept. */
export interface McpApiKeysTable {
  id: Generated<string>;
  name: string;
  level: McpKeyLevel;
  suffix: string;
  key_hash: string;
  description: ColumnType<string, string | undefined, string>;
  created_at: DefaultedTimestamp;
  last_used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** One MCP tool call: the key by name and suffix, the tool, its arguments, rows returned, time taken. */
export interface McpAuditTable {
  id: Generated<string>;
  at: DefaultedTimestamp;
  key_name: string;
  key_suffix: string;
  tool: string;
  arguments: ColumnType<unknown, string, string>;
  rows: number | null;
  duration_ms: number;
  error: string | null;
}

export type CheckOutcome = 'ok' | 'unauthorized' | 'forbidden' | 'not_found' | 'unreachable' | 'missing_secret';

export interface CredentialChecksTable {
  source: ColumnType<string, string | undefined, string>;
  credential_name: string;
  customer_id: string;
  site_id: string;
  outcome: CheckOutcome;
  message: string;
  checked_at: DefaultedTimestamp;
}

/** One erasure (`session-sync forget`): when, which account, by which kind of identity, and what each table lost; never who. */
export interface ErasuresTable {
  id: Generated<string>;
  customer_id: string;
  source: string;
  requested_by: 'email' | 'user-id';
  /** Identities found for the person (the one given and those it led to), suppressed from then on. */
  identities: number;
  /** Rows deleted, by table. */
  rows_deleted: ColumnType<Record<string, number>, string, string>;
  started_at: DefaultedTimestamp;
  /** Null while it runs, or when it stopped before the end (run it again: it picks up). */
  finished_at: Timestamp | null;
}

/** An identity no load may store again: its keyed hash (erasure/erasure-key.ts), never the identity. */
export interface ErasureSuppressionsTable {
  customer_id: string;
  identity_hash: string;
  /** Which key made the hash: a worker with another refuses to load the account. */
  key_id: string;
  erasure_id: string;
  added_at: DefaultedTimestamp;
}

/** Every table: the shared ones here, each source's own in its folder. */
export interface Database extends FullSessionTables, FullStoryTables {
  sync_checkpoints: SyncCheckpointsTable;
  sync_runs: SyncRunsTable;
  rate_budget_grants: RateBudgetGrantsTable;
  rate_budget_log: RateBudgetLogTable;
  rate_budget_pauses: RateBudgetPausesTable;
  rate_budget_pace: RateBudgetPaceTable;
  sync_watermarks: SyncWatermarksTable;
  credential_checks: CredentialChecksTable;
  sync_coverage: SyncCoverageTable;
  mcp_api_keys: McpApiKeysTable;
  mcp_audit: McpAuditTable;
  sync_partitions: SyncPartitionsTable;
  erasures: ErasuresTable;
  erasure_suppressions: ErasureSuppressionsTable;
}

export type CheckpointRow = Selectable<SyncCheckpointsTable>;
