import { describe, expect, it } from 'vitest';
import { coverageStates, dayStates } from '../read-model/coverage-states.js';
import { coveredUntil, subtract, union } from '../read-model/time-ranges.js';

const H = 3_600_000;
const D = 24 * H;
const T = Date.UTC(2026, 10, 2);
/** FullSession's rule with a 4-hour maximum session and a 30-minute settle delay. */
const SESSIONS = { reachBackMs: 4 * H, settleMs: 30 * 60_000 };
/** FullStory's: no reach-back, events settle within a day. */
const EVENTS = { reachBackMs: null, settleMs: D };

describe('coverage states from the ledger', () => {
  it('counts a window complete only with the reach-back the longest session needs; a fresh run is provisional until the sweep', () => {
    const fresh = [
      { from: T, to: T + 6 * H, reachBackMs: 30 * 60_000, syncedAt: T + 7 * H },
      { from: T + 6 * H, to: T + 12 * H, reachBackMs: 30 * 60_000, syncedAt: T + 13 * H },
    ];
    const before = coverageStates(fresh, [], SESSIONS, { from: T, to: T + 12 * H });
    expect(before).toEqual({ complete: [], provisional: [{ from: T, to: T + 12 * H }], gaps: [], expired: [], freshUntil: T + 12 * H, watermark: T });
    const swept = coverageStates([...fresh, { from: T, to: T + D, reachBackMs: D, syncedAt: T + D + H }], [], SESSIONS, { from: T, to: T + D });
    expect([swept.complete, swept.provisional, swept.watermark, swept.freshUntil]).toEqual([[{ from: T, to: T + D }], [], T + D, T + D]);
  });

  it('counts complete only what had settled when it was synced: a backfill up to now leaves its last half hour provisional', () => {
    const states = coverageStates([{ from: T, to: T + 2 * H, reachBackMs: 4 * H, syncedAt: T + 2 * H }], [], SESSIONS, { from: T, to: T + 2 * H });
    expect(states.complete).toEqual([{ from: T, to: T + 1.5 * H }]);
    expect(states.provisional).toEqual([{ from: T + 1.5 * H, to: T + 2 * H }]);
    expect(states.watermark).toBe(T + 1.5 * H);
  });

  it('counts FullStory events complete once exported a day after they happened', () => {
    const exports = [
      { from: T, to: T + D, reachBackMs: 0, syncedAt: T + D + H },
      { from: T + D, to: T + 2 * D, reachBackMs: 0, syncedAt: T + 2 * D + H },
    ];
    // Each day's export ran an hour after the day: only its first hour had settled; a re-export a day later settles it all.
    expect(coverageStates(exports, [], EVENTS, null).complete).toEqual([{ from: T, to: T + H }, { from: T + D, to: T + D + H }]);
    const refreshed = coverageStates([{ ...exports[0]!, syncedAt: T + 2 * D + H }, exports[1]!], [], EVENTS, null);
    expect([refreshed.complete, refreshed.provisional, refreshed.watermark]).toEqual([[{ from: T, to: T + D + H }], [{ from: T + D + H, to: T + 2 * D }], T + D + H]);
  });

  it('classes a gap running where a run syncs it now, failed where one failed, and missing elsewhere; the watermark stops at the first', () => {
    const windows = [
      { from: T, to: T + D, reachBackMs: 4 * H, syncedAt: T + 5 * D },
      { from: T + 4 * D, to: T + 5 * D, reachBackMs: 4 * H, syncedAt: T + 6 * D },
    ];
    const runs = [
      { from: T + D, to: T + 2 * D, status: 'failed' as const },
      { from: T + 1.5 * D, to: T + 2.5 * D, status: 'running' as const },
    ];
    const states = coverageStates(windows, runs, SESSIONS, { from: T, to: T + 5 * D });
    expect(states.gaps).toEqual([
      { from: T + D, to: T + 1.5 * D, state: 'failed' },
      { from: T + 1.5 * D, to: T + 2.5 * D, state: 'running' },
      { from: T + 2.5 * D, to: T + 4 * D, state: 'missing' },
    ]);
    expect(states.watermark).toBe(T + D);
    // A day shows its worst part: day 3 is half running, half missing.
    expect(dayStates(states, { from: T, to: T + 6 * D }).map((day) => day.state)).toEqual(['complete', 'failed', 'missing', 'missing', 'complete', 'pending']);
  });

  it('calls what retention took expired: neither complete nor a gap, and the watermark counts through it', () => {
    const exports = [0, 1, 2, 3].map((n) => ({ from: T + n * D, to: T + (n + 1) * D, reachBackMs: 0, syncedAt: T + 10 * D }));
    // Days 0 and 1 expired; day 2 was never synced since (a hole in the middle of what is left): still a gap.
    const windows = [exports[0]!, exports[1]!, exports[3]!];
    const states = coverageStates(windows, [], EVENTS, { from: T, to: T + 4 * D }, [{ from: T, to: T + 2 * D }]);
    expect(states.expired).toEqual([{ from: T, to: T + 2 * D }]);
    expect(states.complete).toEqual([{ from: T + 3 * D, to: T + 4 * D }]);
    expect(states.gaps).toEqual([{ from: T + 2 * D, to: T + 3 * D, state: 'missing' }]);
    expect(states.watermark).toBe(T + 2 * D);
    expect(dayStates(states, { from: T, to: T + 4 * D }).map((day) => day.state)).toEqual(['expired', 'expired', 'missing', 'complete']);
    // Expired from the start of the history, then complete: the watermark runs to the end.
    const whole = coverageStates(exports, [], EVENTS, { from: T, to: T + 4 * D }, [{ from: T, to: T + 2 * D }]);
    expect([whole.gaps, whole.watermark]).toEqual([[], T + 4 * D]);
  });

  it('has no clocks before the first window, and every day pending', () => {
    const states = coverageStates([], [], SESSIONS, null);
    expect([states.watermark, states.freshUntil, states.gaps]).toEqual([null, null, []]);
    expect(dayStates(states, { from: T, to: T + 2 * D }).map((day) => day.state)).toEqual(['pending', 'pending']);
  });
});

describe('time ranges', () => {
  it('merges, subtracts and follows a run of ranges', () => {
    expect(union([{ from: 5, to: 7 }, { from: 1, to: 3 }, { from: 3, to: 4 }, { from: 9, to: 9 }])).toEqual([{ from: 1, to: 4 }, { from: 5, to: 7 }]);
    expect(subtract([{ from: 0, to: 10 }], [{ from: 2, to: 3 }, { from: 8, to: 12 }])).toEqual([{ from: 0, to: 2 }, { from: 3, to: 8 }]);
    expect(coveredUntil([{ from: 0, to: 4 }, { from: 4, to: 6 }, { from: 7, to: 9 }], 0)).toBe(6);
    expect(coveredUntil([{ from: 1, to: 4 }], 0)).toBe(0);
  });
});
