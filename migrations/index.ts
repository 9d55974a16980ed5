import type { Kysely, Migration } from 'kysely';
import * as initial from './20261122000000_initial.js';
import * as rateBudget from './20261122010000_rate_budget.js';
import * as watermarksAndChecks from './20261122020000_watermarks_and_checks.js';
import * as runRejects from './20261122030000_run_rejects.js';
import * as originalValues from './20261124000000_original_values.js';
import * as cursorHistory from './20261124010000_cursor_history.js';
import * as sourceIdentity from './20261124020000_source_identity.js';
import * as fullstoryEvents from './20261124030000_fullstory_events.js';
import * as fullstorySessions from './20261124040000_fullstory_sessions.js';
import * as fullstoryIndividuals from './20261130000000_fullstory_individuals.js';
import * as fullstoryLeftEvents from './20261201000000_fullstory_left_events.js';
import * as sweptUntil from './20261201010000_swept_until.js';
import * as rateBudgetLog from './20261201020000_rate_budget_log.js';
import * as coverageLedger from './20261203000000_coverage_ledger.js';
import * as mcpKeysAndReader from './20261203010000_mcp_keys_and_reader.js';
import * as runDeadline from './20261203020000_run_deadline.js';
import * as mcpAuditAt from './20261206000000_mcp_audit_at.js';
import * as partitionedFullstoryEvents from './20261207000000_partitioned_fullstory_events.js';
import * as partitionedFullsessionSessions from './20261208000000_partitioned_fullsession_sessions.js';
import * as erasure from './20261209000000_erasure.js';
import * as rateBudgetPace from './20261210000000_rate_budget_pace.js';
import * as partitionedFullstorySessions from './20261211000000_partitioned_fullstory_sessions.js';

/**
 * A migration that must first do work no transaction should hold (such as
 * validating a constraint over a large table while writes go on):
 * `prepare` runs before the migrator's transaction, and is idempotent.
 */
export interface PreparedMigration extends Migration {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  prepare?(db: Kysely<any>): Promise<void>;
}

/**
 * Every migration by name, in order. Listed statically rather than read from
 * the folder so the same code runs from TypeScript sources and from a build.
 */
export const migrations: Record<string, PreparedMigration> = {
  '20261122000000_initial': initial,
  '20261122010000_rate_budget': rateBudget,
  '20261122020000_watermarks_and_checks': watermarksAndChecks,
  '20261122030000_run_rejects': runRejects,
  '20261124000000_original_values': originalValues,
  '20261124010000_cursor_history': cursorHistory,
  '20261124020000_source_identity': sourceIdentity,
  '20261124030000_fullstory_events': fullstoryEvents,
  '20261124040000_fullstory_sessions': fullstorySessions,
  '20261130000000_fullstory_individuals': fullstoryIndividuals,
  '20261201000000_fullstory_left_events': fullstoryLeftEvents,
  '20261201010000_swept_until': sweptUntil,
  '20261201020000_rate_budget_log': rateBudgetLog,
  '20261203000000_coverage_ledger': coverageLedger,
  '20261203010000_mcp_keys_and_reader': mcpKeysAndReader,
  '20261203020000_run_deadline': runDeadline,
  '20261206000000_mcp_audit_at': mcpAuditAt,
  '20261207000000_partitioned_fullstory_events': partitionedFullstoryEvents,
  '20261208000000_partitioned_fullsession_sessions': partitionedFullsessionSessions,
  '20261209000000_erasure': erasure,
  '20261210000000_rate_budget_pace': rateBudgetPace,
  '20261211000000_partitioned_fullstory_sessions': partitionedFullstorySessions,
};
