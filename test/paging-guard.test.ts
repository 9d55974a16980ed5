import { describe, expect, it } from 'vitest';
import { cursorKey, FREE_PAGES, MIN_SESSIONS_PER_PAGE, pagingProblem } from '../activities/paging-guard.js';

const fresh = { cursorHistory: [] as string[], pages: 0, received: 0 };

describe('the paging guard', () => {
  it('stops a cursor handed out twice, whatever its JSON type, but not the last page', () => {
    const seen = { cursorHistory: [cursorKey(17), cursorKey('b')], pages: 2, received: 2000 };
    expect(pagingProblem(seen, { cursor: 17, received: 1000, jobStep: false })).toBe('the API returned a cursor this window already used (after 3 pages): paging would loop');
    expect(pagingProblem(seen, { cursor: '17', received: 1000, jobStep: false })).toBeNull();
    expect(pagingProblem(seen, { cursor: undefined, received: 0, jobStep: false })).toBeNull();
  });

  it(`allows ${FREE_PAGES} pages of anything, then an average of ${MIN_SESSIONS_PER_PAGE} records a page`, () => {
    expect(pagingProblem({ ...fresh, pages: FREE_PAGES - 1 }, { cursor: 'x', received: 0, jobStep: false })).toBeNull();
    expect(pagingProblem({ ...fresh, pages: FREE_PAGES }, { cursor: 'x', received: 0, jobStep: false })).toBe(`${FREE_PAGES + 1} pages returned only 0 sessions and the API still offers more: paging would not end`);
    expect(pagingProblem({ ...fresh, pages: FREE_PAGES, received: 1 }, { cursor: 'x', received: 1, jobStep: false })).toBeNull();
  });

  it('lets an export job poll for as long as it runs, as long as each poll moves the cursor', () => {
    const polling = { cursorHistory: [cursorKey({ poll: 1 })], pages: 50, received: 0 };
    expect(pagingProblem(polling, { cursor: { poll: 2 }, received: 0, jobStep: true })).toBeNull();
    expect(pagingProblem(polling, { cursor: { poll: 1 }, received: 0, jobStep: true })).toContain('paging would loop');
  });
});
