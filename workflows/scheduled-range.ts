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
