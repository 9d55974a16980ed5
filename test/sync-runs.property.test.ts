import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dayStart, scheduledRange, sweptRange } from '../workflows/scheduled-range.js';
import { countWindows, ownsSession, windowAt, windowQuery } from '../workflows/windows.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 1);

interface Session {
  id: number;
  start: number;
  end: number;
}

type Step = { kind: 'advance'; ms: number } | { kind: 'scheduled' } | { kind: 'backfill'; fromBack: number; length: number; windowMs: number };

/**
 * A model of session-sync over time, built from the real window arithmetic
 * and the real scheduled-range rule; only the API and the checkpoint table
 * are modelled: the API returns sessions that have ended by `now` and match
 * the query, and a window marked done is never fetched again.
 */
class SyncModel {
  now = T0;
  watermark: number | null = null;
  sweptUntil: number | null = null;
  readonly stored = new Set<number>();
  private readonly done = new Set<string>();

  constructor(
    private readonly sessions: Session[],
    private readonly settings: { windowMs: number; lookbackMs: number; settleDelayMs: number; initialLookbackMs: number; sweepLookbackMs?: number },
  ) {}

  /** As scheduledSyncWorkflow: the new range, then (with a sweep) the settled whole days. */
  scheduledRun(): void {
    const firstRun = this.watermark === null;
    const range = scheduledRange({ nominalTime: this.now, settleDelayMs: this.settings.settleDelayMs, initialLookbackMs: this.settings.initialLookbackMs, watermark: this.watermark });
    if (range) {
      this.syncRange(range.start, range.end, this.settings.windowMs, 0, this.settings.lookbackMs);
      this.watermark = Math.max(this.watermark ?? -Infinity, range.end);
      if (firstRun && this.settings.sweepLookbackMs !== undefined) this.sweptUntil = dayStart(range.start);
    }
    if (this.settings.sweepLookbackMs === undefined || this.watermark === null) return;
    const swept = sweptRange({ nominalTime: this.now, settleDelayMs: this.settings.settleDelayMs, sweptUntil: this.sweptUntil, watermark: this.watermark });
    if (!swept) return;
    this.syncRange(swept.start, swept.end, DAY, 0, this.settings.sweepLookbackMs);
    this.sweptUntil = Math.max(this.sweptUntil ?? -Infinity, swept.end);
  }

  /** Backfills end no later than now minus the settle delay, as the CLI enforces. */
  backfill(fromBack: number, length: number, windowMs: number): void {
    const to = this.now - this.settings.settleDelayMs;
    const from = to - fromBack;
    // As the CLI asks: windows counted from the backfill's own start.
    this.syncRange(from, Math.min(to, from + length), windowMs, from, this.settings.lookbackMs);
  }

  private syncRange(from: number, to: number, windowMs: number, originMs: number, lookbackMs: number): void {
    for (let index = 0; index < countWindows(from, to, windowMs, originMs); index++) {
      const window = windowAt(from, to, windowMs, index, originMs);
      // The reach-back is part of a checkpoint's key, as in sync_checkpoints.
      const key = `${window.start}:${window.end}:${lookbackMs}`;
      if (this.done.has(key)) continue;
      const query = windowQuery(window, lookbackMs);
      for (const session of this.sessions) {
        const returned = session.start >= query.startTime && session.end <= query.endTime && session.end <= this.now;
        if (returned && ownsSession(window, session.end)) this.stored.add(session.id);
      }
      this.done.add(key);
    }
  }
}

const settings = fc.record({
  windowMs: fc.constantFrom(15 * MINUTE, HOUR, 6 * HOUR),
  lookbackMs: fc.constantFrom(30 * MINUTE, 2 * HOUR),
  settleDelayMs: fc.constantFrom(0, 5 * MINUTE, 30 * MINUTE),
  initialLookbackMs: fc.constantFrom(HOUR, 12 * HOUR),
});

/** Whole minutes, so that session ends often fall exactly on window and range edges. */
const minutes = (max: number) => fc.integer({ min: 1, max }).map((m) => m * MINUTE);

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('advance' as const), ms: minutes(180) }),
  fc.record({ kind: fc.constant('scheduled' as const) }),
  fc.record({ kind: fc.constant('backfill' as const), fromBack: minutes(24 * 60), length: minutes(24 * 60), windowMs: fc.constantFrom(10 * MINUTE, HOUR, 24 * HOUR) }),
);

describe('scheduled runs and backfills over time (property-based)', () => {
  it('for any sessions and any sequence of runs and clock advances, the table ends equal to the sessions that ended before the watermark', () => {
    fc.assert(
      fc.property(
        settings,
        fc.array(fc.record({ startOffset: fc.integer({ min: 0, max: 48 * 60 }).map((m) => m * MINUTE), duration: fc.integer({ min: 0, max: 240 }).map((m) => m * MINUTE) }), { maxLength: 60 }),
        fc.array(step, { maxLength: 40 }),
        (config, rawSessions, steps) => {
          // Sessions last at most the lookback: the documented contract (SYNC_MAX_SESSION_DURATION).
          const sessions = rawSessions.map((s, id) => ({ id, start: T0 + s.startOffset, end: T0 + s.startOffset + (s.duration % (config.lookbackMs + 1)) }));
          const model = new SyncModel(sessions, config);
          // The site's history before its first scheduled run is a backfill.
          model.watermark = T0;
          for (const s of steps) {
            if (s.kind === 'advance') model.now += s.ms;
            else if (s.kind === 'scheduled') model.scheduledRun();
            else model.backfill(s.fromBack, s.length, s.windowMs);
          }
          // Finally the clock passes every session and one more scheduled run happens.
          model.now = T0 + 48 * HOUR + config.lookbackMs + config.settleDelayMs + HOUR;
          model.scheduledRun();
          const expected = sessions.filter((s) => s.end >= T0 && s.end < (model.watermark ?? T0)).map((s) => s.id);
          expect([...model.stored].sort((a, b) => a - b)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('with short reach-back runs and a daily sweep, no session up to 24 hours long is lost: short ones land with the next run, the rest with the sweep of the day they ended', () => {
    fc.assert(
      fc.property(
        fc.record({
          windowMs: fc.constantFrom(HOUR, DAY),
          lookbackMs: fc.constantFrom(15 * MINUTE, 30 * MINUTE),
          settleDelayMs: fc.constantFrom(0, 5 * MINUTE, 30 * MINUTE),
          initialLookbackMs: fc.constantFrom(HOUR, 12 * HOUR),
        }),
        fc.array(fc.record({ startOffset: fc.integer({ min: 0, max: 72 * 60 }).map((m) => m * MINUTE), duration: fc.integer({ min: 0, max: 24 * 60 }).map((m) => m * MINUTE) }), { maxLength: 60 }),
        fc.array(fc.oneof(fc.record({ kind: fc.constant('advance' as const), ms: minutes(12 * 60) }), fc.record({ kind: fc.constant('scheduled' as const) })), { maxLength: 40 }),
        (config, rawSessions, steps) => {
          const sessions = rawSessions.map((s, id) => ({ id, start: T0 + s.startOffset, end: T0 + s.startOffset + s.duration }));
          const model = new SyncModel(sessions, { ...config, sweepLookbackMs: DAY });
          // A new site whose first run covers from T0 (initialLookback before its end).
          model.now = T0 + config.initialLookbackMs + config.settleDelayMs;
          model.scheduledRun();
          const since = T0;
          const check = () => {
            const watermark = model.watermark ?? since;
            const swept = model.sweptUntil ?? since;
            for (const s of sessions) {
              const endedBefore = s.end >= since && s.end < watermark;
              // Never a session the runs have not reached; always a short one they have, and every one a sweep has.
              if (!endedBefore) expect(model.stored.has(s.id)).toBe(false);
              else if (s.end - s.start <= config.lookbackMs || s.end < swept) expect(model.stored.has(s.id)).toBe(true);
            }
          };
          for (const s of steps) {
            if (s.kind === 'advance') model.now += s.ms;
            else model.scheduledRun();
            check();
          }
          // Days later one more run sweeps every day: the table holds every session that ended since the first run.
          model.now = T0 + 6 * DAY;
          model.scheduledRun();
          check();
          expect(model.sweptUntil).toBeGreaterThan(T0 + 4 * DAY);
          const expected = sessions.filter((s) => s.end >= since && s.end < model.watermark!).map((s) => s.id);
          expect([...model.stored].sort((a, b) => a - b)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
