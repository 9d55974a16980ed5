import type { Kysely } from 'kysely';
import type { Config } from '../config/load-config.js';
import type { Database } from '../db/database.js';
import { siteStatus, type StatusReport } from '../operations/site-status.js';
import { formatDuration } from '../read-model/duration-words.js';
import { formatTable, formatTime } from './format.js';
import type { Print } from './print.js';
import { definitionOf } from '../sources/source-definitions.js';
import { connectTemporalClient } from '../temporal/connect-temporal.js';
import { clockInWords, twoClocks } from '../read-model/clock-words.js';

/**
 * `session-sync status [--json]`: one table for all sites, then what needs
 * words: running syncs with percent and ETA, paused schedules with their
 * reason, and each site's last failure.
 */
export async function statusCommand(config: Config, db: Kysely<Database>, options: { json: boolean }, print: Print): Promise<StatusReport> {
  const client = await connectTemporalClient(config.temporal.connection);
  try {
    const report = await siteStatus({ db, client, config });
    print(options.json ? JSON.stringify(report, null, 2) : renderStatus(report));
    return report;
  } finally {
    await client.connection.close();
  }
}

export function renderStatus(report: StatusReport): string {
  const now = report.generatedAt;
  const table = formatTable(
    ['SOURCE', 'SITE', 'SCHEDULE', 'FRESHNESS', 'COPY', 'LAST SUCCESS', 'STORED', 'RUNNING', 'LAST FAILURE'],
    report.sites.map((site) => [
      site.source,
      `${site.customerId}/${site.siteId}`,
      site.schedule.state,
      site.freshness.state,
      twoClocks(site, now),
      formatTime(site.lastSuccessAt),
      `${site.sessionsStored} ${recordNoun(site)}`,
      site.running.map((run) => `${run.kind} ${run.progress ? `${run.progress.percent}%` : '?'}`).join(', ') || '-',
      site.lastFailure ? formatTime(site.lastFailure.at) : '-',
    ]),
  );
  const budgets = formatTable(
    ['SOURCE', 'ACCOUNT', 'BUDGET', 'LAST HOUR', 'LAST DAY'],
    report.accounts.map((account) => [
      account.source,
      account.account,
      `${account.ratePerMinute}/min`,
      `${account.lastHour} of ${account.hourBudget} (${percent(account.lastHour, account.hourBudget)})`,
      `${account.lastDay} of ${account.dayBudget} (${percent(account.lastDay, account.dayBudget)})`,
    ]),
  );
  const details: string[] = [];
  for (const site of report.sites) {
    const name = `${site.customerId}/${site.siteId}`;
    for (const run of site.running) {
      const progress = run.progress;
      const eta = progress?.etaMs === null || progress?.etaMs === undefined ? 'unknown' : formatDuration(progress.etaMs);
      const job = progress?.exportPercent === null || progress?.exportPercent === undefined ? '' : `, export ${progress.exportPercent}% done`;
      details.push(`${name}: ${run.kind} ${run.workflowId}: ${progress ? `${progress.percent}% (windows ${progress.windowsDone}/${progress.windowsTotal}, ${recordNoun(site)} ${progress.sessions}${job}), ETA ${eta}` : 'not answering its progress query'}`);
    }
    if (site.schedule.state === 'paused') details.push(`${name}: schedule paused: ${site.schedule.note ?? 'no reason given'}`);
    if (site.freshness.state === 'late' || site.freshness.state === 'stale') details.push(`${name}: ${site.freshness.state}: complete only to ${clockInWords(site.watermark, now)} (late after ${formatDuration(site.freshness.warnAfterMs)}, stale after ${formatDuration(site.freshness.errorAfterMs)}${site.freshness.derived ? ', from its schedule' : ''})`);
    if (site.freshness.state === 'unknown') details.push(`${name}: freshness unknown: ${site.freshness.reason ?? 'no watermark'}`);
    const { skippedRuns, missedRuns } = site.schedule;
    if (skippedRuns > 0 || missedRuns > 0) details.push(`${name}: schedule did not start ${skippedRuns} run${skippedRuns === 1 ? '' : 's'} while one was still going and missed ${missedRuns} past its catch-up window`);
    if (site.lastFailure) details.push(`${name}: last failure at ${formatTime(site.lastFailure.at)} in ${site.lastFailure.workflowId}: ${site.lastFailure.message}`);
  }
  const tables = `${table}\n\n${budgets}`;
  return details.length > 0 ? `${tables}\n\n${details.join('\n')}` : tables;
}

function percent(used: number, budget: number): string {
  return `${Math.round((used / budget) * 100)}%`;
}

function recordNoun(site: { source: string; siteId: string }): string {
  return definitionOf(site.source).recordNoun(site.siteId);
}
