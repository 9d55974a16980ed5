import { randomBytes } from 'node:crypto';
import { PROBE_WINDOW_MS } from '../../sources/fullsession/fullsession-source.js';
import { FullSessionSandbox, type SandboxOptions } from '../../devstack/sandboxes/fullsession/sandbox-server.js';
import type { RequestFilter } from '../../devstack/sandboxes/fullsession/sandbox-faults.js';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** A fixed Monday in the past: the sandbox clock starts well after it. */
export const DAY0 = Date.UTC(2026, 9, 5);
/**
 * The same customer in every file: the sandbox's data follows from it, so
 * every run sees the same sessions. Files do not meet on the shared
 * Temporal dev server, as workflow ids name each file's own task queue.
 */
export const CUSTOMER = 'cust-1';
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
