import { randomBytes } from 'node:crypto';
import { PROBE_WINDOW_MS } from '../../sources/fullsession/fullsession-source.js';
import { FullSessionSandbox, type SandboxOptions } from '../../devstack/sandboxes/fullsession/sandbox-server.js';
import type { RequestFilter } from '../../devstack/sandboxes/fullsession/sandbox-faults.js';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** A fixed Monday in the past: the sandbox clock starts well after it. */
export const DAY0 = Date.UTC(2026, 9, 5);
/**
 * A customer id of this test file's own. Workflow ids name the site, not
 * the task queue (backfill:fullsession:<customer>:<site>:<range>, the
 * scheduled run's child scheduled:…:<to>), and every file shares one
 * Temporal dev server: two files syncing the same customer's site-a over
 * the same range, or triggering schedules in the same second, would start
 * (or attach to) each other's workflows. One CI run failed so, a scheduled
 * run's child refused as already started by another file's.
 */
export const CUSTOMER = `cust-${randomBytes(3).toString('hex')}`;
export const SITE = 'site-a';
export const MAX_SESSION = 4 * HOUR;

/** A token that looks like FullSession's and differs per test, so leaks are searchable. */
export function newToken(): string {
  return `fus_${randomBytes(16).toString('hex')}`;
}

/** A sandbox with one site, a token for all sites and no rate limit unless given. */
export async function startTestSandbox(token: string, overrides: Partial<SandboxOptions> = {}): Promise<FullSessionSandbox> {
  return FullSessionSandbox.start({
    sites: [
      { customerId: CUSTOMER, siteId: SITE, sessionsPerHour: 30, maxSessionDurationMs: MAX_SESSION },
      { customerId: CUSTOMER, siteId: 'site-b', sessionsPerHour: 5, maxSessionDurationMs: MAX_SESSION },
    ],
    tokens: [{ token, customerId: CUSTOMER, sites: 'all' }],
    activeFrom: DAY0 - DAY,
    now: DAY0 + 10 * DAY,
    pageSize: 100,
    limitPerMinute: null,
    ...overrides,
  });
}

/**
 * Answered requests that synced data, leaving out the one-request credential
 * checks a worker makes at start-up (they ask for a PROBE_WINDOW_MS range).
 */
export function syncRequestCount(sandbox: FullSessionSandbox, siteId?: string): number {
  return sandbox.requests.filter((r) => r.status !== 429 && (siteId === undefined || r.siteId === siteId) && isSyncRequest(r)).length;
}

/** A request for data, not a worker's start-up credential check. */
export function isSyncRequest(request: Parameters<RequestFilter>[0]): boolean {
  return !(request.startTime !== null && request.endTime !== null && request.endTime - request.startTime <= PROBE_WINDOW_MS);
}
