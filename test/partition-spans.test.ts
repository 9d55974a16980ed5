import { describe, expect, it } from 'vitest';
import { spanHolding, spansCovering, uncovered } from '../db/partition-spans.js';

const at = (iso: string) => Date.parse(iso);
const iso = (range: { start: number; end: number }) => [new Date(range.start).toISOString().slice(0, 10), new Date(range.end).toISOString().slice(0, 10)];

describe('partition spans', () => {
  it('a day, a week from Monday and a calendar month hold an instant, in UTC', () => {
    expect(iso(spanHolding(at('2026-12-06T23:59:59.999Z'), '1d'))).toEqual(['2026-12-06', '2026-12-07']);
    // 2026-12-06 is a Sunday: its week began on Monday the 30th of November.
    expect(iso(spanHolding(at('2026-12-06T12:00:00Z'), '7d'))).toEqual(['2026-11-30', '2026-12-07']);
    expect(iso(spanHolding(at('2026-12-07T00:00:00Z'), '7d'))).toEqual(['2026-12-07', '2026-12-14']);
    expect(iso(spanHolding(at('2028-02-29T08:00:00Z'), '1mo'))).toEqual(['2028-02-01', '2028-03-01']);
    expect(iso(spanHolding(at('1969-12-31T23:00:00Z'), '7d'))).toEqual(['1969-12-29', '1970-01-05']);
  });

  it('the spans covering a range start at or before it and end at or after it', () => {
    expect(spansCovering({ start: at('2026-12-30T05:00:00Z'), end: at('2027-01-02T00:00:00Z') }, '1d').map(iso)).toEqual([
      ['2026-12-30', '2026-12-31'],
      ['2026-12-31', '2027-01-01'],
      ['2027-01-01', '2027-01-02'],
    ]);
    expect(spansCovering({ start: at('2026-11-15T00:00:00Z'), end: at('2027-01-01T00:00:01Z') }, '1mo').map(iso)).toEqual([
      ['2026-11-01', '2026-12-01'],
      ['2026-12-01', '2027-01-01'],
      ['2027-01-01', '2027-02-01'],
    ]);
    expect(spansCovering({ start: 5, end: 5 }, '1d')).toEqual([]);
  });

  it('only the gaps between existing partitions are new, so a changed span never overlaps', () => {
    const week = { start: at('2026-11-30T00:00:00Z'), end: at('2026-12-07T00:00:00Z') };
    const days = [
      { start: at('2026-12-01T00:00:00Z'), end: at('2026-12-02T00:00:00Z') },
      { start: at('2026-12-03T00:00:00Z'), end: at('2026-12-05T00:00:00Z') },
    ];
    expect(uncovered(week, days).map(iso)).toEqual([
      ['2026-11-30', '2026-12-01'],
      ['2026-12-02', '2026-12-03'],
      ['2026-12-05', '2026-12-07'],
    ]);
    expect(uncovered(week, [{ start: Number.NEGATIVE_INFINITY, end: at('2026-12-10T00:00:00Z') }])).toEqual([]);
    expect(uncovered(week, [])).toEqual([week]);
  });
});
