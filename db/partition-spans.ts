/**
 * How much time one partition of a site holds (`sync.partition`): a UTC
 * day, a week from Monday 00:00 UTC, or a calendar month in UTC. Bounds
 * are aligned to the span, so the same instant always falls in the same
 * partition whichever worker creates it.
 */
export type PartitionSpan = '1d' | '7d' | '1mo';

export const PARTITION_SPANS: readonly PartitionSpan[] = ['1d', '7d', '1mo'];
export const DEFAULT_PARTITION_SPAN: PartitionSpan = '1d';

export interface TimeRange {
  /** Unix ms, inclusive. */
  start: number;
  /** Unix ms, exclusive. */
  end: number;
}

const DAY_MS = 86_400_000;
/** 1970-01-01 was a Thursday: Monday 1970-01-05 starts the weeks. */
const FIRST_MONDAY_MS = 4 * DAY_MS;

/** The span of `span` that holds the instant `at`. */
export function spanHolding(at: number, span: PartitionSpan): TimeRange {
  if (span === '1d') {
    const start = Math.floor(at / DAY_MS) * DAY_MS;
    return { start, end: start + DAY_MS };
  }
  if (span === '7d') {
    const start = Math.floor((at - FIRST_MONDAY_MS) / (7 * DAY_MS)) * 7 * DAY_MS + FIRST_MONDAY_MS;
    return { start, end: start + 7 * DAY_MS };
  }
  const day = new Date(at);
  return { start: Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), 1), end: Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + 1, 1) };
}

/** The aligned spans that together cover [from, to), oldest first; none when the range is empty. */
export function spansCovering(range: TimeRange, span: PartitionSpan): TimeRange[] {
  const spans: TimeRange[] = [];
  for (let at = range.start; at < range.end; ) {
    const next = spanHolding(at, span);
    spans.push(next);
    at = next.end;
  }
  return spans;
}

/**
 * The parts of `wanted` that none of `existing` covers, oldest first: where
 * a site's span setting changed, new partitions fill the gaps between the
 * old ones instead of overlapping them (Postgres refuses an overlap).
 */
export function uncovered(wanted: TimeRange, existing: readonly TimeRange[]): TimeRange[] {
  const gaps: TimeRange[] = [];
  let at = wanted.start;
  for (const taken of [...existing].sort((a, b) => a.start - b.start)) {
    if (taken.end <= at || taken.start >= wanted.end) continue;
    if (taken.start > at) gaps.push({ start: at, end: taken.start });
    at = Math.max(at, taken.end);
  }
  if (at < wanted.end) gaps.push({ start: at, end: wanted.end });
  return gaps;
}
