import { createHash } from 'node:crypto';

/**
 * Stops a window whose API paging can never end, before it spends the
 * account's whole shared budget: a cursor handed out a second time (A, B, A,
 * …, or one that moves backwards onto an earlier page) would loop for ever,
 * and pages that keep bringing (almost) nothing with a fresh cursor each time
 * would too.
 */

/** Pages a window may take before the average below applies. */
export const FREE_PAGES = 10;
/** Past FREE_PAGES, a window must average at least this many sessions a page. */
export const MIN_SESSIONS_PER_PAGE = 2;

/** How a cursor is remembered in the checkpoint: short, fixed size, and nothing of the API's text. */
export function cursorKey(cursor: unknown): string {
  return createHash('sha256').update(JSON.stringify(cursor ?? null)).digest('hex').slice(0, 16);
}

export interface WindowPaging {
  /** Keys of the cursors the window has moved to so far. */
  cursorHistory: readonly string[];
  pages: number;
  received: number;
}

/**
 * Why the next unit may not be committed, or null when paging is sane.
 * `next.cursor` undefined means the unit is the window's last. A step of
 * an export job (start, poll, locate) brings no records by design: only
 * the repeated-cursor rule applies to it.
 */
export function pagingProblem(paging: WindowPaging, next: { cursor: unknown; received: number; jobStep: boolean }): string | null {
  if (next.cursor === undefined) return null;
  if (paging.cursorHistory.includes(cursorKey(next.cursor))) {
    return `the API returned a cursor this window already used (after ${paging.pages + 1} pages): paging would loop`;
  }
  if (next.jobStep) return null;
  const sessionsInPage = next.received;
  const pages = paging.pages + 1;
  const received = paging.received + sessionsInPage;
  if (pages > FREE_PAGES + received / MIN_SESSIONS_PER_PAGE) {
    return `${pages} pages returned only ${received} sessions and the API still offers more: paging would not end`;
  }
  return null;
}
