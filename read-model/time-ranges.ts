/** A half-open range of instants [from, to), Unix ms. */
export interface TimeRange {
  from: number;
  to: number;
}

/** The ranges merged where they overlap or touch, sorted; empty ones dropped. */
export function union(ranges: readonly TimeRange[]): TimeRange[] {
  const sorted = ranges.filter((range) => range.to > range.from).sort((a, b) => a.from - b.from);
  const merged: TimeRange[] = [];
  for (const range of sorted) {
    const last = merged.at(-1);
    if (last && range.from <= last.to) last.to = Math.max(last.to, range.to);
    else merged.push({ ...range });
  }
  return merged;
}

/** What of `ranges` lies outside every range of `minus`. */
export function subtract(ranges: readonly TimeRange[], minus: readonly TimeRange[]): TimeRange[] {
  const holes = union(minus);
  const left: TimeRange[] = [];
  for (const range of union(ranges)) {
    let from = range.from;
    for (const hole of holes) {
      if (hole.to <= from || hole.from >= range.to) continue;
      if (hole.from > from) left.push({ from, to: hole.from });
      from = Math.max(from, hole.to);
    }
    if (from < range.to) left.push({ from, to: range.to });
  }
  return left;
}

/** What of `ranges` lies inside `within`. */
export function clip(ranges: readonly TimeRange[], within: TimeRange): TimeRange[] {
  return union(ranges.map((range) => ({ from: Math.max(range.from, within.from), to: Math.min(range.to, within.to) })));
}

/** The end of the run of `ranges` that starts at `from`: `from` itself when no range covers it. */
export function coveredUntil(ranges: readonly TimeRange[], from: number): number {
  let until = from;
  for (const range of union(ranges)) {
    if (range.from <= until && range.to > until) until = range.to;
  }
  return until;
}
