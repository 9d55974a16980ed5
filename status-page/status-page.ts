import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { Config } from '../config/load-config.js';
import type { Database } from '../db/database.js';
import { siteStatus } from '../operations/site-status.js';
import { dayStates } from '../read-model/coverage-states.js';
import { siteCoverageStates } from '../read-model/site-coverage.js';
import { twoClocks } from '../read-model/clock-words.js';
import { renderStatusPage } from './render-status-page.js';

/** The strip shows at most this many days, the latest. */
const MAX_DAYS = 400;
const DAY_MS = 86_400_000;

/**
 * The status page's HTML, from the same read layer as `session-sync status`
 * and `coverage` (operations/site-status.ts, read-model/), so the three never
 * disagree.
 */
export async function statusPageHtml(deps: { db: Kysely<Database>; client: Client; config: Config }): Promise<string> {
  const now = Date.now();
  const coverage = await Promise.all(deps.config.sites.sites.map((site) => siteCoverageStates(deps.db, site, { now })));
  const report = await siteStatus(deps, now, coverage);
  const sites = coverage.map(({ states, from, to }, index) => {
    const start = Math.max(from, to - MAX_DAYS * DAY_MS);
    const status = report.sites[index]!;
    return { status, clocks: twoClocks(status, now), days: to > start ? dayStates(states, { from: start, to }) : [], gaps: states.gaps };
  });
  return renderStatusPage(sites, now);
}
