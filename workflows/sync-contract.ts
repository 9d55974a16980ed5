/**
 * The types workflows and activities exchange. Everything here ends up in
 * Temporal's history, so it holds names and numbers, never a secret.
 */

/** A site and the name of the credential that reads it (resolved inside activities). */
export interface SiteRef {
  /** The source that reads it (sources/source-registry.ts); absent in histories recorded before sources had names, meaning FullSession. */
  source?: string;
  customerId: string;
  siteId: string;
  credentialName: string;
}

/** Sessions whose END time is in [start, end), Unix ms. */
export interface SyncWindow {
  start: number;
  end: number;
}

export type RunKind = 'backfill' | 'scheduled';

/** What pages add up to: one shape for a run's totals, a page's increment and what Postgres recorded. */
export interface SyncCounts {
  pages: number;
  /** Sessions synced: of the run's windows, valid, de-duplicated. */
  sessions: number;
  /** HTTP requests made, 429s included. */
  requests: number;
  rejects: number;
  /** Records dropped for an erased person's identity (absent in runs recorded before erasure existed). */
  suppressed?: number;
}

export interface RunTotals extends SyncCounts {
  windowsDone: number;
}

/**
 * What a range workflow returns, as its history and the Temporal UI show
 * it: the counts, with its records called records whatever the source (a
 * FullStory run's are events or individuals, not sessions).
 */
export interface RunResult {
  windowsDone: number;
  pages: number;
  records: number;
  requests: number;
  rejects: number;
  suppressed: number;
}

export interface SyncPageInput {
  runId: string;
  site: SiteRef;
  window: SyncWindow;
  lookbackMs: number;
  /** Pages one activity may sync before returning (it also stops after a few seconds). Default 1. */
  maxPages?: number;
}

/**
 * What one `syncPages` call did. Its field names are in recorded histories
 * (`sessionsSynced`, not `sessions`), so they stay as they are; `pageTotals`
 * turns it into RunTotals.
 */
export interface SyncPageResult {
  windowDone: boolean;
  /** HTTP requests made, 429s and retries within the activity included. */
  requests: number;
  /** Pages committed (0 when the window was already complete). */
  pages: number;
  /** Sessions of this window in the page (after de-duplication). */
  sessionsSynced: number;
  /** Of those, rows inserted or changed; 0 when re-syncing unchanged data. */
  sessionsWritten: number;
  sessionsReceived: number;
  rejects: number;
  /** Records dropped for an erased person's identity; absent in histories recorded before erasure existed. */
  suppressed?: number;
  /** An export still running: the workflow waits this long (a durable timer) before the next call. */
  waitMs?: number;
  /** How far that export has come, 0–100, as the vendor estimates it. */
  jobPercent?: number;
  /** The latest record start time the pages carried (FetchedUnit.reachedMs), for progress inside the window. */
  reachedMs?: number;
}

export interface StartRunInput {
  workflowId: string;
  firstRunId: string;
  kind: RunKind;
  site: SiteRef;
  window: SyncWindow;
  windowsTotal: number;
  /** When Temporal ends the workflow regardless (its execution timeout), Unix ms; absent: never. */
  deadline?: number;
}

export interface FinishRunInput {
  runId: string;
  status: 'succeeded' | 'failed' | 'cancelled';
  error: string | null;
}

export interface ResetWindowInput {
  site: SiteRef;
  window: SyncWindow;
  lookbackMs: number;
}

export interface ReadWatermarkInput {
  site: SiteRef;
}

export interface AdvanceWatermarkInput {
  site: SiteRef;
  to: number;
}

export interface PauseSiteScheduleInput {
  site: SiteRef;
  reason: string;
}
