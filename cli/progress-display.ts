import cliProgress from 'cli-progress';
import type { SyncRangeProgress } from '../workflows/progress.js';
import { formatDuration } from './format.js';
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
export function createProgressDisplay(print: Print, interactive: boolean): ProgressDisplay {
  return interactive ? progressBar() : progressLog(print);
}

function progressBar(): ProgressDisplay {
  const bar = new cliProgress.SingleBar(
    { format: '{bar} {percentage}% | windows {value}/{total} | pages {pages} | sessions {sessions} | ETA {eta}', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(progress) {
      const fields = { pages: progress.pages, sessions: progress.sessions, eta: eta(progress) };
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

function progressLog(print: Print): ProgressDisplay {
  let lastLine = '';
  let lastPrinted = 0;
  return {
    update(progress) {
      const line = progressLine(progress);
      if (line === lastLine || Date.now() - lastPrinted < LOG_EVERY_MS) return;
      print(line);
      lastLine = line;
      lastPrinted = Date.now();
    },
    stop: () => undefined,
  };
}

export function progressLine(progress: SyncRangeProgress): string {
  const window = progress.currentWindow ? new Date(progress.currentWindow.start).toISOString() : '-';
  return `progress: ${progress.percent}% windows ${progress.windowsDone}/${progress.windowsTotal}, pages ${progress.pages}, sessions ${progress.sessions}, requests ${progress.requests}, current window ${window}, ETA ${eta(progress)}`;
}

function eta(progress: SyncRangeProgress): string {
  return progress.etaMs === null ? 'unknown' : formatDuration(progress.etaMs);
}
