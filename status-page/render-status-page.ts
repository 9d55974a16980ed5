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
  expired: { fill: '#90a4ae', label: 'expired: removed by retention' },
};
const FRESHNESS_COLOUR = { fresh: '#2e7d32', late: '#ef6c00', stale: '#c62828', unknown: '#616161' } as const;
/** A day's square, and the step to the next (the square and a 2 px gap). */
const CELL = 11;
const STEP = 13;
/** Room above the weeks for the months' names. */
const MONTH_ROW = 14;

/**
 * The status page: every site with its schedule (and why it is paused), the
 * two clocks, its freshness, its last failure and a calendar of its
 * history a cell a day. Plain HTML and inline SVG: no script, no build step. Every
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
${coverageCalendar(site.days)}
</section>`;
}

/**
 * A calendar of the site's history, as GitHub draws contributions: a
 * column a week (Monday first, UTC), a row a weekday, the months named
 * above, so a year fits in the card (53 columns, under 700 px; the SVG
 * shrinks with a narrower card rather than scroll). Cells come oldest
 * first, each with its date and state as a tooltip.
 */
function coverageCalendar(days: StatusPageSite['days']): string {
  if (days.length === 0) return '<p>No history yet.</p>';
  const first = iso(days[0]!.day).slice(0, 10);
  const last = iso(days.at(-1)!.day).slice(0, 10);
  const firstWeek = mondayOf(days[0]!.day);
  const columnOf = (day: number) => Math.floor((mondayOf(day) - firstWeek) / WEEK_MS);
  const cells = days
    .map(({ day, state }) => {
      const date = iso(day).slice(0, 10);
      const style = DAY_STYLE[state];
      return `<rect x="${WEEKDAY_GUTTER + columnOf(day) * STEP}" y="${MONTH_ROW + weekdayOf(day) * STEP}" width="${CELL}" height="${CELL}" rx="2" fill="${style.fill}" data-day="${date}" data-state="${state}"><title>${date}: ${escape(style.label)}</title></rect>`;
    })
    .join('');
  const months = days
    .filter(({ day }, index) => index === 0 || new Date(day).getUTCDate() === 1)
    .map(({ day }) => label(WEEKDAY_GUTTER + columnOf(day) * STEP, MONTH_ROW - 4, MONTH_NAMES[new Date(day).getUTCMonth()]!))
    .join('');
  const weekdays = WEEKDAY_LABELS.map(([row, name]) => label(0, MONTH_ROW + row * STEP + CELL - 2, name)).join('');
  // Room for the last month's name even when the history is a week or two.
  const width = WEEKDAY_GUTTER + Math.max(columnOf(days.at(-1)!.day) + 1, MIN_COLUMNS) * STEP;
  const height = MONTH_ROW + 7 * STEP;
  return `<svg class="calendar" role="img" aria-label="coverage by day, ${first} to ${last}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" style="max-width:100%;height:auto">${weekdays}${months}${cells}</svg>
<div><small>${first} … ${last}; a column a week, Monday at the top (UTC)</small></div>`;
}

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** Room left of the weeks for the weekdays' names, and the fewest columns drawn (a month's name fits). */
const WEEKDAY_GUTTER = 26;
const MIN_COLUMNS = 3;
const WEEKDAY_LABELS: Array<[number, string]> = [
  [0, 'Mon'],
  [2, 'Wed'],
  [4, 'Fri'],
];

function label(x: number, y: number, text: string): string {
  return `<text x="${x}" y="${y}" font-size="10" fill="#616161">${text}</text>`;
}
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** 0 for Monday … 6 for Sunday, in UTC. */
function weekdayOf(day: number): number {
  return (new Date(day).getUTCDay() + 6) % 7;
}

/** Midnight UTC of the Monday on or before `day`. */
function mondayOf(day: number): number {
  const midnight = Math.floor(day / DAY_MS) * DAY_MS;
  return midnight - weekdayOf(midnight) * DAY_MS;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** HTML-escapes text for element content and attribute values. */
function escape(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
