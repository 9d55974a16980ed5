import type { SiteRef, SyncWindow } from '../../workflows/sync-contract.js';
import { ownsSession } from '../../workflows/windows.js';
import type { FetchedUnit } from '../sync-source.js';
import type { FullSessionPage } from './page-body.js';
import { insertRejects } from './rejects-table.js';
import { parseSessionRecord, type FullSessionRecord, type RejectedRecord } from './session-record.js';
import { upsertSessions } from './sessions-table.js';

import type { ErasureKey } from '../../erasure/erasure-key.js';
import { suppressionsFor } from '../../erasure/suppression-list.js';
import { sessionIdentities } from './session-identities.js';
/**
 * One FullSession page as a unit of its window: the sessions the window owns
 * (valid, de-duplicated by id, last wins since the API's order is
 * undocumented) go to fullsession_sessions, invalid ones to
 * fullsession_rejects with their reason, in the loop's transaction.
 * `startsFrom` is the query's startTime: the partitions made for the
 * window hold sessions that started from it on, and a session the API
 * sends though it started before is rejected, not a failed page. Sessions
 * of people on the account's suppression list are dropped and counted.
 */
export function pageUnit(site: Pick<SiteRef, 'customerId' | 'siteId'>, window: SyncWindow, page: FullSessionPage, startsFrom: number, erasureKey?: ErasureKey): FetchedUnit {
  const { owned, rejects, reachedMs } = splitPage(page.sessions, (record) => ownsSession(window, record.endTime), startsFrom);
  return {
    nextCursor: page.nextCursor,
    received: page.sessions.length,
    // `startAfter` follows session start times, so pages come in start order.
    ...(reachedMs === undefined ? {} : { reachedMs }),
    async write(trx, copyIn) {
      // Erased people's sessions are dropped here, valid or not: never stored, never rejects.
      const suppressions = await suppressionsFor(trx, site.customerId, erasureKey);
      const kept = owned.filter((record) => !suppressions.suppresses(sessionIdentities(record.payload)));
      const keptRejects = rejects.filter((reject) => !suppressions.suppresses(sessionIdentities(reject.raw)));
      const written = await upsertSessions(trx, copyIn, site.customerId, site.siteId, kept);
      await insertRejects(trx, site.customerId, site.siteId, keptRejects);
      const suppressed = owned.length - kept.length + rejects.length - keptRejects.length;
      return { synced: kept.length, written, rejectReasons: keptRejects.map((reject) => reject.reason), ...(suppressed ? { suppressed } : {}) };
    },
  };
}

function splitPage(raw: unknown[], owns: (record: FullSessionRecord) => boolean, startsFrom: number): { owned: FullSessionRecord[]; rejects: RejectedRecord[]; reachedMs: number | undefined } {
  const byId = new Map<string, FullSessionRecord>();
  const rejects: RejectedRecord[] = [];
  let reachedMs: number | undefined;
  for (const item of raw) {
    const parsed = parseSessionRecord(item);
    if (!parsed.ok) {
      rejects.push(parsed.reject);
      continue;
    }
    reachedMs = Math.max(reachedMs ?? -Infinity, parsed.record.startTime);
    if (!owns(parsed.record)) continue;
    if (parsed.record.startTime < startsFrom) {
      rejects.push({ sessionId: parsed.record.sessionId, reason: `session starts before the query's startTime ${new Date(startsFrom).toISOString()}, which the API filters on`, raw: item });
      continue;
    }
    byId.set(parsed.record.sessionId, parsed.record);
  }
  return { owned: [...byId.values()], rejects, reachedMs };
}
