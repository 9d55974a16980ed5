import { describe, expect, it } from 'vitest';
import { addPageToChunk, emptyChunk } from '../activities/page-chunk.js';
import type { SyncPageResult } from '../workflows/sync-contract.js';

const page = (fields: Partial<SyncPageResult>): SyncPageResult => ({ windowDone: false, requests: 1, pages: 1, sessionsSynced: 1000, sessionsWritten: 900, sessionsReceived: 1000, rejects: 1, ...fields });

describe("a chunk of pages, as one syncPages call reports it", () => {
  it('sums the counts, suppressed included, and keeps the latest record start reached, not their sum', () => {
    const chunk = emptyChunk();
    addPageToChunk(chunk, page({ reachedMs: 1_796_374_262_183, suppressed: 3 }));
    addPageToChunk(chunk, page({ reachedMs: 1_796_398_136_252 }));
    addPageToChunk(chunk, page({ reachedMs: 1_796_422_698_949, suppressed: 4, windowDone: true }));
    expect(chunk).toEqual({ windowDone: true, requests: 3, pages: 3, sessionsSynced: 3000, sessionsWritten: 2700, sessionsReceived: 3000, rejects: 3, suppressed: 7, reachedMs: 1_796_422_698_949 });
  });

  it("takes an export's wait and percent from the page that says them, never summed", () => {
    const chunk = emptyChunk();
    addPageToChunk(chunk, page({ jobPercent: 40 }));
    addPageToChunk(chunk, page({ jobPercent: 60, waitMs: 5_000, pages: 0, sessionsSynced: 0, sessionsWritten: 0, sessionsReceived: 0, rejects: 0 }));
    expect(chunk).toMatchObject({ pages: 1, requests: 2, jobPercent: 60, waitMs: 5_000 });
  });
});
