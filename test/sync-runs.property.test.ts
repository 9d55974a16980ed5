import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scheduledRange } from '../workflows/scheduled-range.js';
import { countWindows, ownsSession, windowAt, windowQuery } from '../workflows/windows.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
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
  readonly stored = new Set<number>();
  private readonly done = new Set<string>();

  constructor(
    private readonly sessions: Session[],
    private readonly settings: { windowMs: number; lookbackMs: number; settleDelayMs: number; initialLookbackMs: number },
  ) {}

  scheduledRun(): void {
    const range = scheduledRange({ nominalTime: this.now, settleDelayMs: this.settings.settleDelayMs, initialLookbackMs: this.settings.initialLookbackMs, watermark: this.watermark });
    if (!range) return;
    this.syncRange(range.start, range.end, this.settings.windowMs, 0);
    this.watermark = Math.max(this.watermark ?? -Infinity, range.end);
  }

  /** Backfills end no later than now minus the settle delay, as the CLI enforces. */
  backfill(fromBack: number, length: number, windowMs: number): void {
    const to = this.now - this.settings.settleDelayMs;
    const from = to - fromBack;
    // As the CLI asks: windows counted from the backfill's own start.
    this.syncRange(from, Math.min(to, from + length), windowMs, from);
  }

  private syncRange(from: number, to: number, windowMs: number, originMs: number): void {
    for (let index = 0; index < countWindows(from, to, windowMs, originMs); index++) {
      const window = windowAt(from, to, windowMs, index, originMs);
      const key = `${window.start}:${window.end}:${this.settings.lookbackMs}`;
      if (this.done.has(key)) continue;
      const query = windowQuery(window, this.settings.lookbackMs);
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
});
