import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countWindows, ownsSession, windowAt, windowQuery } from '../workflows/windows.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

const range = fc
  .record({
    from: fc.integer({ min: T0, max: T0 + 30 * 24 * HOUR }),
    length: fc.integer({ min: 1, max: 10 * 24 * HOUR }),
    windowMs: fc.integer({ min: 60_000, max: 2 * 24 * HOUR }),
    lookbackMs: fc.integer({ min: 0, max: 12 * HOUR }),
    // Scheduled runs count windows from the epoch, backfills from their own start; any origin must work.
    origin: fc.oneof(fc.constant('epoch' as const), fc.constant('from' as const), fc.integer({ min: 0, max: T0 + 60 * 24 * HOUR })),
  })
  .map((r) => ({ ...r, to: r.from + r.length, originMs: r.origin === 'epoch' ? 0 : r.origin === 'from' ? r.from : r.origin }));

const windowsOf = (r: { from: number; to: number; windowMs: number; originMs: number }) =>
  Array.from({ length: countWindows(r.from, r.to, r.windowMs, r.originMs) }, (_, i) => windowAt(r.from, r.to, r.windowMs, i, r.originMs));

describe('window arithmetic (property-based)', () => {
  it('windows tile [from, to) with no gap and no overlap, aligned to the window size from their origin', () => {
    fc.assert(
      fc.property(range, (r) => {
        const windows = windowsOf(r);
        expect(windows[0]!.start).toBe(r.from);
        expect(windows[windows.length - 1]!.end).toBe(r.to);
        windows.forEach((w, i) => {
          expect(w.end).toBeGreaterThan(w.start);
          expect(w.end - w.start).toBeLessThanOrEqual(r.windowMs);
          if (i > 0) expect(w.start).toBe(windows[i - 1]!.end);
          if (i > 0) expect((((w.start - r.originMs) % r.windowMs) + r.windowMs) % r.windowMs).toBe(0);
        });
      }),
    );
  });

  it('every session that ended in the range and lasted at most the lookback is owned by exactly one window, whose query returns it', () => {
    fc.assert(
      fc.property(range, fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 0, max: 1e9 }), (r, endSeed, durationSeed) => {
        const end = r.from + (endSeed % (r.to - r.from));
        const duration = r.lookbackMs === 0 ? 0 : durationSeed % (r.lookbackMs + 1);
        const start = end - duration;
        const owners = windowsOf(r).filter((w) => ownsSession(w, end));
        expect(owners).toHaveLength(1);
        const query = windowQuery(owners[0]!, r.lookbackMs);
        // The API's filters, both inclusive: start >= startTime AND end <= endTime.
        expect(start >= query.startTime && end <= query.endTime).toBe(true);
      }),
    );
  });

  it('a backfill no longer than its window is one window: one reach-back, however its range falls', () => {
    fc.assert(
      fc.property(range, (r) => {
        const windowMs = Math.max(r.windowMs, r.to - r.from);
        expect(windowsOf({ ...r, windowMs, originMs: r.from })).toEqual([{ start: r.from, end: r.to }]);
      }),
    );
  });

  it('queries overlap by at most the lookback', () => {
    fc.assert(
      fc.property(range, (r) => {
        const queries = windowsOf(r).map((w) => windowQuery(w, r.lookbackMs));
        for (let i = 1; i < queries.length; i++) {
          expect(queries[i - 1]!.endTime - queries[i]!.startTime + 1).toBeLessThanOrEqual(r.lookbackMs);
        }
      }),
    );
  });
});
