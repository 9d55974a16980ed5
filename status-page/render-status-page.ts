import type { DayState, GapState } from '../read-model/coverage-states.js';
import type { TimeRange } from '../read-model/time-ranges.js';
import type { SiteStatus } from '../operations/site-status.js';

/** What the page shows of a site: its status (the same as `session-sync status`) and its coverage by day. */
export interface StatusPageSite {
  status: SiteStatus;
  clocks: string;
  days: Array<{ day: number; state: DayState }>;
  gaps: Array<TimeRange & { state: GapState }>;
}

/** A day's colour and what a person reads for it. */
const DAY_STYLE: Record<DayState, { fill: string; label: string }> = {
  complete: { fill: '#2e7d32', label: 'complete' },
  provisional: { fill: '#9ccc65', label: 'provisional: a sweep or re-export still has to pass' },
  running: { fill: '#1e88e5', label: 'running' },
  failed: { fill: '#c62828', label: 'failed' },
  missing: { fill: '#ffb300', label: 'missing' },
  pending: { fill: '#e0e0e0', label: 'not synced yet' },
};
const FRESHNESS_COLOUR = { fresh: '#2e7d32', late: '#ef6c00', stale: '#c62828', unknown: '#616161' } as const;
const CELL = 14;

/**
 * The status page: every site with its schedule (and why it is paused), the
 * two clocks, its freshness, its last failure and a strip of its history a
 * cell a day. Plain HTML and inline SVG: no script, no build step. Every
 * value is escaped; the page holds no secret (messages were scrubbed where
 * they were recorded).
 */
export function renderStatusPage(sites: StatusPageSite[], generatedAt: number): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>session-sync status</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #212121; }
  h1 { font-size: 20px; }
  section { border: 1px solid #e0e0e0; border-radius: 6px; padding: 12px 16px; margin: 12px 0; }
  h2 { font-size: 16px; margin: 0 0 6px; }
  .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-size: 12px; vertical-align: middle; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 6px 0; }
  dt { color: #616161; }
  dd { margin: 0; }
  .legend span { display: inline-block; margin-right: 12px; }
  .legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: middle; }
</style>
</head>
<body>
<h1>session-sync status</h1>
<p>As of ${escape(iso(generatedAt))}. The copy of a site is complete up to its <em>complete to</em> instant; <em>fresh to</em> is the newest instant synced at all.</p>
${sites.map(renderSite).join('\n')}
<p class="legend">${Object.values(DAY_STYLE).map((style) => `<span><i style="background:${style.fill}"></i>${escape(style.label)}</span>`).join('')}</p>
</body>
</html>
`;
}

function renderSite(site: StatusPageSite): string {
  const { status } = site;
  const name = `${status.customerId}/${status.siteId}`;
  const schedule = status.schedule.state === 'paused' ? `paused: ${status.schedule.note ?? 'no reason given'}` : status.schedule.state === 'none' ? 'none (backfills only)' : 'active';
  const notRun = status.schedule.skippedRuns + status.schedule.missedRuns > 0 ? `<dt>runs not started</dt><dd>${status.schedule.skippedRuns} skipped while one was still going, ${status.schedule.missedRuns} missed past the catch-up window</dd>` : '';
  const failure = status.lastFailure ? `${iso(status.lastFailure.at)}: ${status.lastFailure.message}` : 'none';
  const gaps = site.gaps.length === 0 ? 'none' : site.gaps.map((gap) => `${iso(gap.from)} .. ${iso(gap.to)} (${gap.state})`).join('; ');
  return `<section data-site="${escape(name)}">
<h2>${escape(status.source)} ${escape(name)} <span class="badge" style="background:${FRESHNESS_COLOUR[status.freshness.state]}">${escape(status.freshness.state)}</span></h2>
<dl>
<dt>copy</dt><dd>${escape(site.clocks)}</dd>
<dt>schedule</dt><dd class="schedule">${escape(schedule)}</dd>
${notRun}<dt>last failure</dt><dd>${escape(failure)}</dd>
<dt>gaps</dt><dd>${escape(gaps)}</dd>
</dl>
${coverageStrip(site.days)}
</section>`;
}

/** One cell a day, oldest first, with the date and state as its tooltip. */
function coverageStrip(days: StatusPageSite['days']): string {
  if (days.length === 0) return '<p>No history yet.</p>';
  const first = iso(days[0]!.day).slice(0, 10);
  const last = iso(days.at(-1)!.day).slice(0, 10);
  const cells = days
    .map((day, index) => {
      const date = iso(day.day).slice(0, 10);
      const style = DAY_STYLE[day.state];
      return `<rect x="${index * CELL}" y="0" width="${CELL - 1}" height="20" fill="${style.fill}" data-day="${date}" data-state="${day.state}"><title>${date}: ${escape(style.label)}</title></rect>`;
    })
    .join('');
  return `<svg role="img" aria-label="coverage by day, ${first} to ${last}" width="${days.length * CELL}" height="20" viewBox="0 0 ${days.length * CELL} 20">${cells}</svg>
<div><small>${first} … ${last}</small></div>`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** HTML-escapes text for element content and attribute values. */
function escape(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
