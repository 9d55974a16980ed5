import type { Kysely, Transaction } from 'kysely';
import type { CopyIn } from '../db/copy-transaction.js';
import type { Database } from '../db/database.js';
import type { StreamKey } from '../workflows/stream-key.js';
import type { SiteRef, SyncWindow } from '../workflows/sync-contract.js';

/**
 * The seam every vendor implements, one folder each (sources/<vendor>/ with
 * the same file roles: client, records, tables, source). The shared sync
 * loop (activities/sync-page-activity.ts) owns the checkpoint, the
 * transaction and the paging guard; a source only fetches and maps:
 *
 *   checkpoint cursor ─> fetchUnit ─> [guard] ─> ONE transaction: unit.write(trx, copyIn) + next cursor + run counts
 *
 * A unit is what one durable step of a window reads: a page of a cursor API,
 * or one step of an asynchronous export (start the job; poll it, answering
 * `waitMs` so the workflow waits on a durable timer instead of an activity
 * sleeping; download and load the file). The cursor is any JSON the source
 * chooses; it lives only in Postgres, so a crash costs at most one unit.
 */
export interface SyncSource {
  /** The source's name in budget keys and ids, e.g. 'fullsession'. */
  readonly name: string;
  /** Fetches the unit after `cursor` in a window. It writes nothing: the loop calls `write` in its transaction. */
  fetchUnit(request: UnitRequest): Promise<FetchedUnit>;
  /** Proves with one cheap request that the site's credential can read it; throws a SourceError when not. */
  checkCredential(site: SiteRef): Promise<CredentialReport>;
  /** How many of the stream's records its tables hold, for `status`. */
  countStored(db: Kysely<Database>, stream: StreamKey): Promise<number>;
  /**
   * The stream's stored records by the UTC day of their coverage key (a
   * session's end, an event's time) over [from, to), for `coverage`; null
   * for a stream whose records have no such key (FullStory individuals).
   */
  recordsByDay(db: Kysely<Database>, stream: StreamKey, from: number, to: number): Promise<Map<number, number> | null>;
}

export interface UnitRequest {
  site: SiteRef;
  window: SyncWindow;
  /** How far the window's query reaches back before its start (the longest session). */
  lookbackMs: number;
  /** The window's cursor as its checkpoint holds it; undefined before the first unit. */
  cursor: unknown;
  signal: AbortSignal;
  /**
   * Told of every API request the unit makes, once it has an outcome,
   * whatever that is (429s included; an export's file downloads are not API
   * requests): the run counts the requests of tries that failed too.
   */
  onApiRequest(): void;
}

export interface FetchedUnit {
  /** The cursor after this unit, as JSON; undefined when the window is complete. */
  nextCursor: unknown;
  /** Records the API sent, owned by the window or not: the paging guard's measure of progress. */
  received: number;
  /** A step of an export job (start, poll, locate), not a page of records: it brings none by design. */
  jobStep?: boolean;
  /** An export still running: wait this long (a workflow timer) before the next unit. */
  waitMs?: number;
  /** How far that export has come, 0–100, as the vendor estimates it: shown in progress and `status`. */
  jobPercent?: number;
  /**
   * The latest start time (Unix ms) of the records the unit carried: how far
   * through its window's query paging has come, for progress inside a long
   * window. Absent where records do not come in start-time order.
   */
  reachedMs?: number;
  /** Writes the unit's records in the loop's transaction; must only use `trx` and `copyIn` (COPY on the same connection). */
  write(trx: Transaction<Database>, copyIn: CopyIn): Promise<UnitWrite>;
}

export interface UnitWrite {
  /** Records of the window the unit carried, valid and de-duplicated. */
  synced: number;
  /** Of those, rows inserted or changed: 0 when re-syncing unchanged data. */
  written: number;
  /** Why each rejected record was refused (the records are in the source's rejects table). */
  rejectReasons: string[];
  /** Records dropped because they carry an erased person's identity (never stored, never rejects). */
  suppressed?: number;
  /** Records read while writing, for a unit that streams its file in `write` (its `received` was not known before). */
  received?: number;
  /** Milliseconds each phase of a long write took (staging, merging, …), logged for operators. */
  phaseMs?: Record<string, number>;
}

/** What a credential check learned besides "it works", where the API says. */
export interface CredentialReport {
  /** Who the key belongs to, e.g. its owner's email. */
  identity?: string;
  /** Its permission level, e.g. ARCHITECT. */
  permission?: string;
  /** What it may read, where narrower than the account, e.g. the sites a token is scoped to. */
  scope?: string;
  /** Something that works but should change (e.g. more rights than needed). */
  warning?: string;
}
