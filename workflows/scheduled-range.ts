import type { SyncWindow } from './sync-contract.js';

export interface ScheduledRangeInput {
  /** The time the schedule meant the run for (Unix ms). */
  nominalTime: number;
  settleDelayMs: number;
  initialLookbackMs: number;
  /** Where the last scheduled run stopped; null before the first one. */
  watermark: number | null;
}

/**
 * The sessions (by end time) a scheduled run syncs: from the watermark to the
 * nominal time minus the settle delay, or null when that is empty. Pure:
 * the workflow and the property tests call it.
 *
 * @example scheduledRange({ nominalTime: 100, settleDelayMs: 10, initialLookbackMs: 50, watermark: null }) // { start: 40, end: 90 }
 */
export function scheduledRange(input: ScheduledRangeInput): SyncWindow | null {
  const end = input.nominalTime - input.settleDelayMs;
  const start = input.watermark ?? end - input.initialLookbackMs;
  return end > start ? { start, end } : null;
}

export const DAY_MS = 86_400_000;

export interface SweptRangeInput {
  nominalTime: number;
  settleDelayMs: number;
  /** Where the last sweep stopped; null before the first one. */
  sweptUntil: number | null;
  /** Where scheduled runs have reached: a sweep never passes them. */
  watermark: number;
}

/**
 * The whole UTC days a scheduled run sweeps (reads again with the long
 * reach-back, for the sessions that lasted longer than its own): from
 * where the last sweep stopped to the start of the day of the nominal time
 * minus the settle delay, no further than the watermark. A site's first
 * run marks the start of its day as swept-until, so sweeps cover every day
 * scheduled runs do; with no mark (a site that ran before sweeps existed)
 * the sweep starts with the last whole day. Null when no whole day waits. Pure.
 *
 * @example sweptRange({ nominalTime: 2.5 * DAY, settleDelayMs: 0, sweptUntil: null, watermark: 2.5 * DAY }) // { start: DAY, end: 2 * DAY }
 */
export function sweptRange(input: SweptRangeInput): SyncWindow | null {
  const end = Math.min(dayStart(input.nominalTime - input.settleDelayMs), input.watermark);
  const start = input.sweptUntil ?? end - DAY_MS;
  return end > start ? { start, end } : null;
}

/** The start of the UTC day of `at`. */
export function dayStart(at: number): number {
  return Math.floor(at / DAY_MS) * DAY_MS;
}
