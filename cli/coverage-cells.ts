import type { DayState } from '../read-model/coverage-states.js';

/** What one character of `coverage` stands for. */
export type CellSpan = 'day' | 'week' | 'month';

/** One character a day (or a week, a month), and what it means. */
export const CELLS: Record<DayState, string> = { complete: '#', provisional: '~', running: '>', failed: 'X', missing: '.', pending: ' ', expired: '-' };

/** The state a folded cell shows: the worst of its days, so no gap hides in a week of complete ones. */
const WORST_FIRST: DayState[] = ['failed', 'missing', 'running', 'provisional', 'pending', 'expired', 'complete'];

const DAY_MS = 86_400_000;

/**
 * The cells of a site's history in at most `width` characters: a day each
 * when they fit, else a week each (seven days from the first), else a
 * calendar month each (UTC); each folded cell shows its worst day. Without
 * a width (not a terminal) every day has its cell.
 *
 * @example foldDays(days, 80) // { span: 'week', cells: '####X##' }
 */
export function foldDays(days: ReadonlyArray<{ day: number; state: DayState }>, width: number | undefined): { span: CellSpan; cells: string } {
  if (width === undefined || days.length <= width) return { span: 'day', cells: days.map((day) => CELLS[day.state]).join('') };
  const first = days[0]!.day;
  const weeks = groupBy(days, (day) => Math.floor((day - first) / (7 * DAY_MS)));
  if (weeks.length <= width) return { span: 'week', cells: weeks.map(worstCell).join('') };
  const months = groupBy(days, (day) => new Date(day).getUTCFullYear() * 12 + new Date(day).getUTCMonth());
  return { span: 'month', cells: months.map(worstCell).join('') };
}

function groupBy(days: ReadonlyArray<{ day: number; state: DayState }>, keyOf: (day: number) => number): DayState[][] {
  const groups = new Map<number, DayState[]>();
  for (const { day, state } of days) {
    const key = keyOf(day);
    const group = groups.get(key) ?? [];
    group.push(state);
    groups.set(key, group);
  }
  return [...groups.values()];
}

function worstCell(states: DayState[]): string {
  return CELLS[WORST_FIRST.find((state) => states.includes(state)) ?? 'complete'];
}
