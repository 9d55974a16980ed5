import { Cron } from 'croner';
import { DAY_MS } from '../workflows/scheduled-range.js';

/** When the cron fires in [from, to), Unix ms. */
export function cronFires(cron: string, timezone: string, from: number, to: number): number[] {
  const schedule = new Cron(cron, { timezone, paused: true });
  const fires: number[] = [];
  for (let next = schedule.nextRun(new Date(from - 1)); next && next.getTime() < to; next = schedule.nextRun(next)) fires.push(next.getTime());
  return fires;
}

/**
 * The ranges of a day's runs on `cron` (those that fire in [dayStart,
 * dayStart + 1 day)): each from the previous run's end to its own, both the
 * settle delay before the fire, as scheduled runs take them.
 */
export function scheduledRunRanges(cron: string, timezone: string, settleDelayMs: number, dayStart: number): Array<{ from: number; to: number }> {
  const fires = cronFires(cron, timezone, dayStart - DAY_MS, dayStart + DAY_MS);
  const ranges: Array<{ from: number; to: number }> = [];
  for (let i = 1; i < fires.length; i++) {
    if (fires[i]! >= dayStart) ranges.push({ from: fires[i - 1]! - settleDelayMs, to: fires[i]! - settleDelayMs });
  }
  return ranges;
}
