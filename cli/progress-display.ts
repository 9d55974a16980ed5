import cliProgress from 'cli-progress';
import type { SyncRangeProgress } from '../workflows/progress.js';
import { formatDuration } from '../read-model/duration-words.js';
import type { Print } from './print.js';

export interface ProgressDisplay {
  update(progress: SyncRangeProgress): void;
  stop(): void;
}

/** How often a log line is printed when nobody watches a terminal. */
const LOG_EVERY_MS = 10_000;

/**
 * A live bar on a terminal; on anything else (CI, a pipe, a log collector)
 * a progress line every ten seconds when something changed.
 */
export function createProgressDisplay(print: Print, interactive: boolean, recordNoun: string): ProgressDisplay {
  return interactive ? progressBar(recordNoun) : progressLog(print, recordNoun);
}

function progressBar(recordNoun: string): ProgressDisplay {
  const bar = new cliProgress.SingleBar(
    // {etaText}, not {eta}: cli-progress fills {eta} itself, in bare seconds from windows alone (0, 94, INF), beside our estimate.
    { format: `{bar} {percentage}% | windows {value}/{total} | pages {pages} | ${recordNoun} {sessions}{job} | ETA {etaText}`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(progress) {
      const fields = { pages: progress.pages, sessions: progress.sessions, job: progress.exportPercent === null ? '' : ` | export ${progress.exportPercent}%`, etaText: eta(progress) };
      if (!started) bar.start(progress.windowsTotal, progress.windowsDone, fields);
      else bar.update(progress.windowsDone, fields);
      started = true;
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

function progressLog(print: Print, recordNoun: string): ProgressDisplay {
  let lastLine = '';
  let lastPrinted = 0;
  return {
    update(progress) {
      const line = progressLine(progress, recordNoun);
      if (line === lastLine || Date.now() - lastPrinted < LOG_EVERY_MS) return;
      print(line);
      lastLine = line;
      lastPrinted = Date.now();
    },
    stop: () => undefined,
  };
}

/** One line of progress; an export job still running shows how far it has come, as the vendor estimates it. */
export function progressLine(progress: SyncRangeProgress, recordNoun: string): string {
  const window = progress.currentWindow ? new Date(progress.currentWindow.start).toISOString() : '-';
  const job = progress.exportPercent === null ? '' : ` (export ${progress.exportPercent}% done)`;
  return `progress: ${progress.percent}% windows ${progress.windowsDone}/${progress.windowsTotal}, pages ${progress.pages}, ${recordNoun} ${progress.sessions}, requests ${progress.requests}, current window ${window}${job}, ETA ${eta(progress)}`;
}

/** The workflow's one estimate, as `status` shows it too: with its unit, or unknown. */
function eta(progress: SyncRangeProgress): string {
  return progress.etaMs === null ? 'unknown' : formatDuration(progress.etaMs);
}
